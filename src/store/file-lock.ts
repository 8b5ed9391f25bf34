// Cross-process lock on a file (proper-lockfile) plus an in-process mutex, since proper-lockfile is not re-entrant.
import fs, { closeSync, constants, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockBusyError, errnoCode } from "../errors.js";
import { isProcessAlive } from "../util/process-alive.js";

export interface LockOptions {
  /** Age after which a lock whose holder stopped refreshing it is taken over (clamped to >= 2000 ms). */
  staleMs?: number;
  /** Longest total wait for the lock before giving up with LockBusyError. */
  waitMs?: number;
  /** Told when the lock was compromised (our refresh failed or another process took it over). */
  onCompromised?: (error: Error) => void;
}

const DEFAULT_STALE_MS = 10_000;
const inProcess = new Map<string, Promise<void>>();

/** Serializes callers within this process; resolves to a release function. */
async function acquireLocal(key: string): Promise<() => void> {
  const previous = inProcess.get(key) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolve) => {
    release = resolve;
  });
  const chained = previous.then(() => current);
  inProcess.set(key, chained);
  await previous;
  return () => {
    release();
    if (inProcess.get(key) === chained) inProcess.delete(key);
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs fn while holding the lock of `file` (a sibling `<file>.lock` directory).
 * Nothing slow should happen inside fn: no git, no agent, no network.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = Math.max(2000, options.staleMs ?? DEFAULT_STALE_MS);
  const waitMs = options.waitMs ?? staleMs * 3;
  const releaseLocal = await acquireLocal(file);
  try {
    const releaseFile = await acquireFileLock(file, staleMs, waitMs, options.onCompromised);
    try {
      return await fn();
    } finally {
      await releaseFile().catch((error: unknown) => {
        // After a compromise the lock is already gone (ERELEASED / ENOTACQUIRED): nothing to release.
        if (!["ERELEASED", "ENOTACQUIRED", "ECOMPROMISED"].includes(errnoCode(error) ?? "")) throw error;
      });
    }
  } finally {
    releaseLocal();
  }
}

/**
 * Longest pause between two tries while another process holds the lock. Short pauses looked attractive (a
 * change holds the lock for about a millisecond) but on two cores every waiter that wakes up preempts the
 * holder: with 16 writers, a 4 ms cap gave 206 changes/s, a 25 ms cap 765 (bench/store-throughput.js).
 */
const MAX_POLL_MS = 25;

let loadedLockfile: Promise<typeof import("proper-lockfile")> | undefined;

/** proper-lockfile (and the graceful-fs it patches in) is loaded by the first lock: read-only commands never need it. */
function properLockfile(): Promise<typeof import("proper-lockfile")> {
  return (loadedLockfile ??= import("proper-lockfile").then((module) => module.default));
}

type Callback = (error: NodeJS.ErrnoException | null, result?: unknown) => void;

/** A callback-style fs method answered synchronously. */
function immediate<A extends unknown[]>(method: (...args: A) => unknown) {
  return (...args: [...A, Callback]): void => {
    const callback = args.pop() as Callback;
    let result: unknown;
    try {
      result = method(...(args as unknown as A));
    } catch (error: unknown) {
      callback(error as NodeJS.ErrnoException);
      return;
    }
    callback(null, result);
  };
}

/**
 * The fs proper-lockfile uses (its documented `fs` option), answering synchronously: taking (mkdir) and releasing
 * (rmdir) the lock cost no thread-pool round trip, so the lock is held only while the change itself is made.
 * Its own sync API would do the same but copies the whole fs module and probes the mtime precision on every call;
 * this one object lets the probe's result be cached.
 */
const immediateFs = {
  mkdir: immediate(fs.mkdirSync),
  stat: immediate(fs.statSync),
  rmdir: immediate(fs.rmdirSync),
  utimes: immediate(fs.utimesSync),
  realpath: immediate(fs.realpathSync),
};

/** How often a waiter asks whether the holder died (a read of its owner record and of /proc). */
const DEAD_HOLDER_CHECK_MS = 50;

/** The lock directory's mtime in ms, or undefined when there is no lock. */
function lockMtimeMs(lockDir: string): number | undefined {
  try {
    return statSync(lockDir).mtimeMs;
  } catch {
    return undefined;
  }
}

async function acquireFileLock(
  file: string,
  staleMs: number,
  waitMs: number,
  onCompromised: ((error: Error) => void) | undefined,
): Promise<() => Promise<void>> {
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  // Our own retry loop: short randomized waits keep hand-over fast under contention,
  // and the total wait exceeds `stale` so a dead holder's lock is always reached.
  let delay = 1;
  let lastDeadHolderCheck = 0;
  const pause = async (): Promise<void> => {
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, MAX_POLL_MS);
  };
  for (;;) {
    // A look before the try: while the lock directory is there (and fresh), mkdir can only fail, and each
    // failing mkdir takes the directory's lock in the kernel that the holder needs for its own rename.
    const heldSince = lockMtimeMs(lockDir);
    if (heldSince !== undefined && heldSince > Date.now() - staleMs) {
      const now = Date.now();
      // A holder that died on this host (SIGKILL mid-write) need not cost us the whole stale time.
      if (now - lastDeadHolderCheck >= DEAD_HOLDER_CHECK_MS) {
        lastDeadHolderCheck = now;
        if (takeOverDeadHolder(file)) continue;
      }
      if (now >= deadline) throw new LockBusyError(file);
      await pause();
      continue;
    }
    try {
      const release = await (await properLockfile()).lock(file, {
        lockfilePath: lockDir,
        fs: immediateFs,
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 2)),
        onCompromised: (error: Error) => {
          // The default throws inside a timer and kills the process; writes are fenced by tokens anyway.
          onCompromised?.(error);
        },
      });
      publishOwner(file);
      // The owner record stays after the release: it names a lock directory that no longer exists, which no
      // later lock can be mistaken for (see LockOwner.ino), and the next holder rewrites it in place.
      return release;
    } catch (error) {
      // Our lock directory vanished before proper-lockfile was done taking it (another process judged the lock
      // before ours stale and removed ours in its place): an internal error would kill the caller; try again.
      if (errnoCode(error) === "ENOENT" && existsSync(path.dirname(file)) && Date.now() < deadline) {
        await pause();
        continue;
      }
      if (errnoCode(error) !== "ELOCKED") throw error;
      if (takeOverDeadHolder(file)) continue;
      if (Date.now() >= deadline) throw new LockBusyError(file, error);
      await pause();
    }
  }
}

/**
 * Removes the lock of `file` when its holder died on this host (SIGKILLed mid-write, say), so that a run leaves
 * none behind; a live holder's lock, another host's, or one with no owner record is left alone.
 */
export function clearDeadHolderLock(file: string): boolean {
  if (lockIno(`${file}.lock`) === undefined) return false;
  return takeOverDeadHolder(file);
}

interface LockOwner {
  pid: number;
  host: string;
  /**
   * Identity of the lock directory this owner created (inode and birth time): tells its lock from a newer
   * holder's. The inode alone does not: a directory made right after one is removed gets the same inode number
   * back (ext4), so a newer holder's lock, made before it published its own owner record, looked dead and was stolen.
   */
  ino: string;
}

/**
 * The owner record: one file per locked file, kept between locks and rewritten in place by each holder. Making
 * and removing it for every lock cost an inode each time, which is slow on ext4 without a journal (it scans past
 * recently deleted inodes): 753 against 1006 changes/s with 16 writers (bench/store-throughput.js).
 */
const ownerFile = (file: string) => `${file}.lock.owner`;

function lockIno(lockDir: string): string | undefined {
  try {
    const info = statSync(lockDir, { bigint: true });
    // Without a birth time (filesystems that lack it) the inode alone cannot tell two locks apart:
    // then no owner is recorded and a dead holder's lock goes stale the slow way.
    if (info.birthtimeNs === 0n) return undefined;
    return `${info.ino}:${info.birthtimeNs}`;
  } catch {
    return undefined;
  }
}

function publishOwner(file: string): void {
  const ino = lockIno(`${file}.lock`);
  if (!ino) return;
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), ino };
  try {
    writeOwnerRecord(ownerFile(file), JSON.stringify(owner));
  } catch {
    // Only an optimisation: without it a dead holder's lock goes stale the slow way.
  }
}

/**
 * Rewrites the record in place (no new inode once it exists). A reader that catches it half-written cannot parse
 * it and simply does not take over this time. A symlink left there by an older version is replaced, not followed.
 */
function writeOwnerRecord(recordFile: string, record: string): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(recordFile, flags, 0o644);
  } catch (error: unknown) {
    if (errnoCode(error) !== "ELOOP") throw error;
    unlinkSync(recordFile);
    fd = openSync(recordFile, flags, 0o644);
  }
  try {
    writeSync(fd, record);
  } finally {
    closeSync(fd);
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(ownerFile(file), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * A holder records itself within moments of making the lock directory. A directory older than this that no
 * record names was made by a process that died (or froze) in between — a lead SIGKILLed there made its restart
 * wait out the whole stale time (10 s) in about one run of 20 of bench/run-scale.js.
 */
const UNRECORDED_LOCK_MS = 1500;

/** The lock directory's age by its birth time ("ino:birthNs" as from lockIno). */
function lockAgeMs(identity: string): number {
  const birthNs = BigInt(identity.slice(identity.indexOf(":") + 1));
  return Date.now() - Number(birthNs / 1_000_000n);
}

/**
 * When the lock's holder is gone — its record names this lock directory and a dead process on this host, or no
 * record names the directory although it is too old to be still unrecorded — moves the directory aside and
 * removes it. Returns true when the caller should retry at once.
 */
function takeOverDeadHolder(file: string): boolean {
  const lockDir = `${file}.lock`;
  const identity = lockIno(lockDir);
  if (identity === undefined) return false;
  const owner = readOwner(file);
  if (owner?.ino === identity) {
    if (owner.host !== os.hostname() || owner.pid === process.pid || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
    if (isProcessAlive(owner.pid)) return false;
  } else if (lockAgeMs(identity) < UNRECORDED_LOCK_MS) {
    return false;
  }
  const aside = `${lockDir}.dead-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    renameSync(lockDir, aside);
  } catch {
    return false;
  }
  // Between our check and the rename another process may have taken the lock over and made a new
  // directory: then put it back rather than steal it.
  if (lockIno(aside) !== identity) {
    try {
      if (lockIno(lockDir) === undefined) renameSync(aside, lockDir);
      else rmSync(aside, { recursive: true, force: true });
    } catch {
      // The holder learns of it through proper-lockfile's compromise check; writes are fenced anyway.
    }
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  if (owner && readOwner(file)?.pid === owner.pid) {
    try {
      unlinkSync(ownerFile(file));
    } catch {
      // Someone else removed it.
    }
  }
  return true;
}

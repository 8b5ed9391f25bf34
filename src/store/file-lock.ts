// Cross-process lock on a file (proper-lockfile) plus an in-process mutex, since proper-lockfile is not re-entrant.
import lockfile from "proper-lockfile";
import { LockBusyError, errnoCode } from "../errors.js";

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

async function acquireFileLock(
  file: string,
  staleMs: number,
  waitMs: number,
  onCompromised: ((error: Error) => void) | undefined,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + waitMs;
  // Our own retry loop: short randomized waits keep hand-over fast under contention,
  // and the total wait exceeds `stale` so a dead holder's lock is always reached.
  let delay = 1;
  for (;;) {
    try {
      return await lockfile.lock(file, {
        lockfilePath: `${file}.lock`,
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 2)),
        retries: 0,
        onCompromised: (error: Error) => {
          // The default throws inside a timer and kills the process; writes are fenced by tokens anyway.
          onCompromised?.(error);
        },
      });
    } catch (error) {
      if (errnoCode(error) !== "ELOCKED") throw error;
      if (Date.now() >= deadline) throw new LockBusyError(file, error);
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, 25);
    }
  }
}

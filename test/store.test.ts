// The store proven with real processes and real files: locked increments, a person's unlocked saves, invalid files, killed and compromised lock holders.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidFileError } from "../src/errors.js";
import { JsonFile } from "../src/store/json-file.js";
import { CodexStore } from "../src/store/codex-store.js";
import { withFileLock } from "../src/store/file-lock.js";
import { repoRoot, tempDir, waitFor } from "./helpers/temp.js";

const fixturesDir = path.join(repoRoot, "test", "fixtures");

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Proc {
  child: ChildProcess;
  /** Output so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits; rejects (after killing it) when it outlives the deadline. */
  done: (timeoutMs: number) => Promise<Finished>;
}

const running = new Set<ChildProcess>();

/** Kills every fixture process still running (call in afterEach, so a failed test leaves nothing behind). */
function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  running.clear();
}

function startFixture(script: string, args: Array<string | number>, env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [path.join(fixturesDir, script), ...args.map(String)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Finished>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done: async (timeoutMs: number) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`${script} ${args.join(" ")} still running after ${timeoutMs} ms; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The last JSON line a fixture printed on stdout; fails with its stderr when it exited non-zero. */
function summaryOf<T>(finished: Finished, script: string): T {
  if (finished.code !== 0) {
    throw new Error(`${script} exited with ${finished.code ?? finished.signal}: ${finished.stderr.slice(-3000)}`);
  }
  const lines = finished.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  return JSON.parse(last) as T;
}

const CounterFile = z.strictObject({
  count: z.number().int().nonnegative(),
  person: z.record(z.string(), z.number()).optional(),
});
type CounterFile = z.infer<typeof CounterFile>;

interface CounterSummary {
  done: number;
  concurrentEdits: number;
  invalidRetries: number;
  rounds: number;
  ms: number;
}
interface ReaderSummary {
  reads: number;
  lastCount: number;
  wentBack: number;
  bad: string[];
  badCount: number;
}
interface PersonSummary {
  saves: number;
  unreadable: number;
  ms: number;
}
interface CompromisedSummary {
  compromised: string[];
  countAfter: number;
}

function counterFile(file: string, lockStaleMs = 10_000): JsonFile<CounterFile> {
  return new JsonFile<CounterFile>({ file, schema: CounterFile, label: "counter.json", lockStaleMs });
}

function newCounter(value: CounterFile = { count: 0 }): string {
  const file = path.join(tempDir("codex-store-"), "counter.json");
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

function readCounter(file: string): CounterFile {
  return CounterFile.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** Keys person.s1 … person.s<saves> that are missing from the file. */
function missingPersonKeys(value: CounterFile, saves: number): string[] {
  const missing: string[] = [];
  for (let i = 1; i <= saves; i++) if (value.person?.[`s${i}`] !== i) missing.push(`s${i}`);
  return missing;
}

afterEach(() => {
  killAll();
});

describe("store: locked increments from many processes", () => {
  it("16 processes x 200 increments give exactly 3200, and a reader never sees a torn or invalid file", async () => {
    const file = newCounter();
    const stop = path.join(path.dirname(file), "stop");
    const reader = startFixture("store-reader.mjs", [file, stop, 1000]);
    await waitFor("the reader to start", () => existsSync(`${stop}.reader-ready`), 20_000);
    // Without an fsync per write (the lock and the checks are the same): 3200 fsyncs alone can take a minute on a busy disk.
    const writers = Array.from({ length: 16 }, () => startFixture("store-counter.mjs", [file, 200], { STORE_FSYNC: "0" }));
    // Bounded generously: on two cores loaded by other work, 3200 locked writes by 17 processes can take minutes.
    const finished = await Promise.all(writers.map((writer) => writer.done(150_000)));
    const summaries = finished.map((result) => summaryOf<CounterSummary>(result, "store-counter.mjs"));
    writeFileSync(stop, "stop\n");
    const seen = summaryOf<ReaderSummary>(await reader.done(20_000), "store-reader.mjs");

    expect(summaries.map((s) => s.done)).toEqual(Array<number>(16).fill(200));
    expect(readCounter(file).count).toBe(3200);
    expect(seen.bad).toEqual([]);
    expect(seen.badCount).toBe(0);
    expect(seen.reads).toBeGreaterThanOrEqual(1000);
    expect(seen.wentBack).toBe(0);
    expect(seen.lastCount).toBe(3200);
    // No lock directory and no temp file left behind.
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 180_000);
});

describe("store: a person saving the file without a lock while writers work", () => {
  /** The person's save, as an editor does it (temp file beside it, then rename) or in place (truncate, write). */
  function personSave(file: string, mode: "editor" | "inplace", key: string, value: number): void {
    const current = JSON.parse(readFileSync(file, "utf8")) as CounterFile;
    current.person = { ...(current.person ?? {}), [key]: value };
    const text = `${JSON.stringify(current, null, 2)}\n`;
    if (mode === "editor") {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.swp`);
      writeFileSync(temp, text);
      renameSync(temp, file);
    } else {
      writeFileSync(file, text);
    }
  }

  for (const mode of ["editor", "inplace"] as const) {
    it(`a ${mode === "editor" ? "temp-file-and-rename" : "truncate-and-write"} save between our read and our write is detected and our change re-applied on top`, async () => {
      const file = newCounter();
      const dir = path.dirname(file);
      const increments = 20;
      const writer = startFixture("store-handshake-writer.mjs", [file, dir, increments]);
      for (let i = 1; i <= increments; i++) {
        await waitFor(`the writer to read the file (increment ${i})`, () => existsSync(path.join(dir, `read-${i}`)), 20_000, 2);
        personSave(file, mode, `s${i}`, i);
        writeFileSync(path.join(dir, `saved-${i}`), "");
      }
      const summary = summaryOf<{ done: number; concurrentEdits: number; rounds: number[] }>(await writer.done(30_000), "store-handshake-writer.mjs");
      const final = readCounter(file);
      expect(missingPersonKeys(final, increments)).toEqual([]);
      expect(final.count).toBe(increments);
      // Every update saw the person's save and went round once more.
      expect(summary.concurrentEdits).toBe(increments);
      expect(summary.rounds).toEqual(Array<number>(increments).fill(2));
    }, 60_000);
  }

  async function personWhileWriters(mode: "editor" | "inplace", saves: number): Promise<{
    missing: string[];
    writers: CounterSummary[];
    person: PersonSummary;
  }> {
    const file = newCounter();
    const stop = path.join(path.dirname(file), "stop");
    // Four writers at a busy pace (an update every 20-40 ms each, ~100 writes/s together: far above a real run).
    const writers = Array.from({ length: 4 }, () =>
      startFixture("store-counter.mjs", [file, 0, "-", stop, "wait-invalid"], { STORE_PAUSE_MS: "20-40" }),
    );
    await waitFor("the writers to start writing", () => readCounter(file).count >= 8, 20_000, 10);
    const person = startFixture("store-person.mjs", [file, mode, saves, 30, 60]);
    const personSummary = summaryOf<PersonSummary>(await person.done(45_000), "store-person.mjs");
    writeFileSync(stop, "stop\n");
    const finished = await Promise.all(writers.map((writer) => writer.done(20_000)));
    const writerSummaries = finished.map((result) => summaryOf<CounterSummary>(result, "store-counter.mjs"));
    return { missing: missingPersonKeys(readCounter(file), saves), writers: writerSummaries, person: personSummary };
  }

  // A person's rename that lands in the microseconds between our last check and our own rename cannot
  // be seen by any userland code (that needs renameat2(RENAME_EXCHANGE)); docs/benchmarks.md has
  // the measured rate. Before the late check it was 52-60 of 100 saves lost; the bound here is 3.
  const RESIDUAL_BOUND = 3;

  for (const mode of ["editor", "inplace"] as const) {
    it(`a person saving ${mode === "editor" ? "editor-style" : "in place"} every 30-60 ms while 4 processes write: the person's changes are kept`, async () => {
      const saves = 100;
      const outcome = await personWhileWriters(mode, saves);
      const written = outcome.writers.reduce((sum, w) => sum + w.done, 0);
      const reapplied = outcome.writers.reduce((sum, w) => sum + w.concurrentEdits, 0);
      const waited = outcome.writers.reduce((sum, w) => sum + w.invalidRetries, 0);
      console.info(
        `${mode} saves: ${saves}, our writes: ${written}, re-applied on top of a person's save: ${reapplied}, ` +
          `waits on a half-written file: ${waited}, lost person saves: ${outcome.missing.length} ${outcome.missing.join(" ")}`,
      );
      expect(outcome.missing.length).toBeLessThanOrEqual(RESIDUAL_BOUND);
      // The writers really did run into the person's saves and re-applied their change on top.
      expect(written).toBeGreaterThan(saves);
      expect(reapplied).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe("store: an invalid save by a person", () => {
  it("names line and column, or the field; leaves the file byte for byte; writes go on once fixed", async () => {
    const file = newCounter({ count: 5 });
    const store = counterFile(file);

    // 1. Not JSON: a missing comma on line 3.
    const badJson = '{\n  "count": 6\n  "person": {}\n}\n';
    writeFileSync(file, badJson);
    const jsonError = await store.update((draft) => {
      draft.count += 1;
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(jsonError).toBeInstanceOf(InvalidFileError);
    expect((jsonError as InvalidFileError).message).toMatch(/counter\.json is invalid: line 3, column 3: /);
    expect(readFileSync(file, "utf8")).toBe(badJson);

    // The same from another process: a clear message on stderr, no stack trace of ours, the file untouched.
    const child = await startFixture("store-counter.mjs", [file, 1]).done(20_000);
    expect(child.code).not.toBe(0);
    expect(child.stderr).toMatch(/line 3, column 3/);
    expect(readFileSync(file, "utf8")).toBe(badJson);

    // 2. Valid JSON that breaks the schema: the field is named, with what was expected.
    const badSchema = '{\n  "count": "seven"\n}\n';
    writeFileSync(file, badSchema);
    const schemaError = await store.update((draft) => {
      draft.count += 1;
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(schemaError).toBeInstanceOf(InvalidFileError);
    const problems = (schemaError as InvalidFileError).problems.join("\n");
    expect(problems).toMatch(/^count: .*expected number/m);
    expect(problems).toMatch(/"seven"/);
    expect(readFileSync(file, "utf8")).toBe(badSchema);

    // An unknown field gets a did-you-mean.
    const typo = '{\n  "count": 7,\n  "persn": {}\n}\n';
    writeFileSync(file, typo);
    const typoError = await store.read().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((typoError as InvalidFileError).problems.join("\n")).toMatch(/persn.*did you mean "person"/);
    expect(readFileSync(file, "utf8")).toBe(typo);

    // 3. Fixed: writes go on, on top of the person's fixed value.
    writeFileSync(file, '{ "count": 7 }\n');
    const result = await store.update((draft) => {
      draft.count += 1;
    });
    expect(result.value.count).toBe(8);
    const resumed = summaryOf<CounterSummary>(await startFixture("store-counter.mjs", [file, 2]).done(20_000), "store-counter.mjs");
    expect(resumed.done).toBe(2);
    expect(readCounter(file).count).toBe(10);
    expect(readFileSync(file, "utf8")).toBe('{\n  "count": 10\n}\n');
  }, 60_000);
});

describe("store: lock holders that die or lose their lock", () => {
  it("a holder SIGKILLed with the lock: the next writer gets it within the stale time, nothing deadlocks", async () => {
    const staleMs = 2000;
    const file = newCounter();
    const holder = startFixture("store-hold-lock.mjs", [file, staleMs]);
    await waitFor("the holder to take the lock", () => holder.stdout().includes("locked"), 20_000, 10);
    expect(statSync(`${file}.lock`).isDirectory()).toBe(true);
    holder.child.kill("SIGKILL");
    const killed = await holder.done(10_000);
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(`${file}.lock`)).toBe(true);

    const started = Date.now();
    // Several writers at once, one of them here: all get through, the count is exact.
    const others = Array.from({ length: 3 }, () => startFixture("store-counter.mjs", [file, 10, staleMs]));
    await counterFile(file, staleMs).update((draft) => {
      draft.count += 1;
    });
    const waitedMs = Date.now() - started;
    const summaries = (await Promise.all(others.map((p) => p.done(30_000)))).map((f) => summaryOf<CounterSummary>(f, "store-counter.mjs"));
    console.info(`lock of a SIGKILLed holder taken over after ${waitedMs} ms (stale ${staleMs} ms)`);
    // The lock was refreshed at most `update` (1000 ms) before the kill, so it is stale at most staleMs after it.
    expect(waitedMs).toBeLessThan(staleMs + 2500);
    expect(summaries.map((s) => s.done)).toEqual([10, 10, 10]);
    expect(readCounter(file).count).toBe(31);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  it("a lock directory its maker never recorded (killed right after mkdir) is taken over in seconds, not after the stale time", async () => {
    const staleMs = 10_000;
    const file = newCounter();
    // What a holder SIGKILLed between making the lock and recording itself leaves: the directory, and the
    // record of the lock it held before (the same pid, another directory).
    const holder = startFixture("store-hold-lock.mjs", [file, staleMs]);
    await waitFor("the holder to take the lock", () => holder.stdout().includes("locked"), 20_000, 10);
    holder.child.kill("SIGKILL");
    await holder.done(10_000);
    const record = readFileSync(`${file}.lock.owner`, "utf8");
    rmSync(`${file}.lock`, { recursive: true });
    mkdirSync(`${file}.lock`);
    expect(readFileSync(`${file}.lock.owner`, "utf8")).toBe(record);
    const started = Date.now();
    await counterFile(file, staleMs).update((draft) => {
      draft.count += 1;
    });
    const waitedMs = Date.now() - started;
    console.info(`unrecorded lock taken over after ${waitedMs} ms (stale ${staleMs} ms)`);
    // Not at once (its maker may still be about to record itself), and far from the stale time.
    expect(waitedMs).toBeGreaterThanOrEqual(1000);
    expect(waitedMs).toBeLessThan(staleMs / 2);
    expect(readCounter(file).count).toBe(1);
  }, 60_000);

  it("clearDeadLocks removes the locks of holders that died, and only those", async () => {
    const root = tempDir();
    const store = new CodexStore(root);
    await store.ensureDirs();
    const progressFile = store.paths.progress;
    const inboxFile = path.join(store.paths.inboxDir, "t1.json");
    const liveFile = path.join(store.paths.inboxDir, "t2.json");
    const holders = [progressFile, inboxFile].map((file) => startFixture("store-hold-lock.mjs", [file, 60_000]));
    for (const holder of holders) await waitFor("a holder to take its lock", () => holder.stdout().includes("locked"), 20_000, 10);
    for (const holder of holders) holder.child.kill("SIGKILL");
    for (const holder of holders) expect((await holder.done(10_000)).signal).toBe("SIGKILL");
    expect(existsSync(`${progressFile}.lock`) && existsSync(`${inboxFile}.lock`)).toBe(true);
    // A lock held right now by a live process (this one) is not touched.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = withFileLock(liveFile, async () => {
      locked();
      await held;
    });
    await isLocked;
    try {
      expect(store.clearDeadLocks().sort()).toEqual([inboxFile, progressFile].sort());
      expect(existsSync(`${progressFile}.lock`) || existsSync(`${inboxFile}.lock`)).toBe(false);
      expect(existsSync(`${liveFile}.lock`)).toBe(true);
      expect(store.clearDeadLocks()).toEqual([]);
    } finally {
      release();
      await holding;
    }
    expect(existsSync(`${liveFile}.lock`)).toBe(false);
  }, 60_000);

  it("a holder whose lock directory is removed is told, keeps running and can lock again", async () => {
    const staleMs = 2000;
    const file = newCounter();
    const holder = startFixture("store-compromised.mjs", [file, "removed", staleMs, 0]);
    await waitFor("the holder to take the lock", () => holder.stdout().includes("locked"), 20_000, 10);
    rmSync(`${file}.lock`, { recursive: true });
    const summary = summaryOf<CompromisedSummary>(await holder.done(30_000), "store-compromised.mjs");
    expect(summary.compromised).toEqual(["ECOMPROMISED"]);
    expect(summary.countAfter).toBe(1);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  it("a holder whose event loop stalls past the stale time loses the lock to another process, is told, and keeps running", async () => {
    const staleMs = 2000;
    const file = newCounter();
    const holder = startFixture("store-compromised.mjs", [file, "stalled", staleMs, 4500]);
    await waitFor("the holder to take the lock", () => holder.stdout().includes("locked"), 20_000, 10);
    // While the holder is stalled, another process takes the stale lock over.
    const started = Date.now();
    const taker = summaryOf<CounterSummary>(await startFixture("store-counter.mjs", [file, 1, staleMs]).done(30_000), "store-counter.mjs");
    expect(taker.done).toBe(1);
    expect(Date.now() - started).toBeLessThan(staleMs + 4000);
    const summary = summaryOf<CompromisedSummary>(await holder.done(30_000), "store-compromised.mjs");
    expect(summary.compromised).toEqual(["ECOMPROMISED"]);
    expect(summary.countAfter).toBe(2);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  it("a lock left by a dead process on another clock tick (old mtime) is taken over at once", async () => {
    const file = newCounter();
    // A leftover lock directory, as a crash leaves it, last refreshed a minute ago.
    const lockDir = `${file}.lock`;
    mkdirSync(lockDir);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
    const started = Date.now();
    await counterFile(file, 2000).update((draft) => {
      draft.count += 1;
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(readCounter(file).count).toBe(1);
  }, 30_000);
});

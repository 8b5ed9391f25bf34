// Appends an agent's whole output to the attempt's log: batched writes, never through a symlink planted there.
import { constants } from "node:fs";
import { mkdir, open, type FileHandle } from "node:fs/promises";
import path from "node:path";

export interface AttemptLog {
  write(text: string): void;
  /** Writes what is pending and closes; the first write error, if any, is returned (the log never fails a run). */
  close(): Promise<string | undefined>;
}

export async function openAttemptLog(file: string): Promise<AttemptLog> {
  let handle: FileHandle | undefined;
  let problem: string | undefined;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (error: unknown) {
    problem = `cannot write the attempt log ${file}: ${error instanceof Error ? error.message : String(error)}`;
  }
  let pending = "";
  let chain: Promise<void> = Promise.resolve();
  const flush = (): void => {
    const text = pending;
    pending = "";
    if (text === "" || handle === undefined) return;
    const target = handle;
    chain = chain.then(() =>
      target.write(text).then(
        () => undefined,
        (error: unknown) => {
          problem ??= `cannot write the attempt log ${file}: ${error instanceof Error ? error.message : String(error)}`;
        },
      ),
    );
  };
  return {
    write(text) {
      if (handle === undefined) return;
      if (pending === "") setImmediate(flush);
      pending += text;
    },
    async close() {
      flush();
      await chain;
      await handle?.close().catch(() => undefined);
      return problem;
    },
  };
}

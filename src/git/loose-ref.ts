// Reading a ref without starting git: the loose ref file when there is one (git replaces it atomically),
// else git itself (packed refs). On a busy run the lead and workers read refs for every subtask.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { headOf } from "./repo.js";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The commit `ref` (a full name, `refs/heads/…`) points to. `commonDir` is the repository's git common dir. */
export async function resolveRef(cwd: string, commonDir: string, ref: string): Promise<string> {
  try {
    const text = (await readFile(path.join(commonDir, ref), "utf8")).trim();
    if (SHA.test(text)) return text;
  } catch {
    // not a loose ref: packed, or missing (git says which)
  }
  return headOf(cwd, ref);
}

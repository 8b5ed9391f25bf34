// A cli profile's argv with its placeholders filled in: whole elements only, never through a shell.
import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";

/** Linux's limit on one argv element (MAX_ARG_STRLEN, 32 pages), terminating NUL included. */
export const MAX_ARG_BYTES = 131_072;

export const PLACEHOLDERS = ["{prompt}", "{prompt_file}", "{worktree}", "{codex_dir}"] as const;

export interface ArgvValues {
  prompt: string;
  /** Where the prompt is written when `{prompt_file}` is used or the prompt is too long for one argument. */
  promptFile: string;
  worktree: string;
  /** The run's `.codex` folder (codex's sandbox needs it writable for `codex-worker report`). */
  codexDir: string;
}

export interface ExpandedArgv {
  argv: string[];
  /** True when the prompt file must exist before the command starts. */
  needsPromptFile: boolean;
  /** True when `{prompt}` got a pointer to the prompt file because the prompt was over MAX_ARG_BYTES. */
  promptByFile: boolean;
}

/** What `{prompt}` becomes when the prompt cannot be one argument. */
export function promptPointer(promptFile: string): string {
  return `Your task is too long to pass as an argument: it is in the file ${promptFile}. Read that whole file first, then do what it says.`;
}

/**
 * Replaces elements that are exactly a placeholder; any other element (even one containing `{prompt}`) stays as it
 * is. A prompt over the kernel's one-argument limit goes by file: `{prompt}` then says where to read it.
 */
export function expandArgv(command: readonly string[], values: ArgvValues): ExpandedArgv {
  const promptTooLong = Buffer.byteLength(values.prompt, "utf8") + 1 > MAX_ARG_BYTES;
  let needsPromptFile = false;
  let promptByFile = false;
  const argv = command.map((element) => {
    switch (element) {
      case "{prompt}":
        if (!promptTooLong) return values.prompt;
        needsPromptFile = promptByFile = true;
        return promptPointer(values.promptFile);
      case "{prompt_file}":
        needsPromptFile = true;
        return values.promptFile;
      case "{worktree}":
        return values.worktree;
      case "{codex_dir}":
        return values.codexDir;
      default:
        return element;
    }
  });
  return { argv, needsPromptFile, promptByFile };
}

/** Writes the prompt file, never through a symlink planted where it goes. */
export async function writePromptFile(file: string, prompt: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(prompt, "utf8");
  } finally {
    await handle.close();
  }
}

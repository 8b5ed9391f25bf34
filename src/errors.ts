// Named, expected failures. The library throws these; only the CLI turns them into exit codes and one line of advice.

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  failed: 3,
  blocked: 4,
  busy: 5,
  /** The run's credit cap (`run_budget`, `--max-credits`) was reached, or a budget gate found the plan over it. */
  budget: 6,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface CodexErrorOptions {
  /** What the person should do next, ideally naming a command. */
  hint?: string;
  exitCode?: ExitCodeValue;
  cause?: unknown;
  /** Extra lines (one problem per line) shown under the message. */
  details?: string[];
}

export class CodexError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: string[];

  constructor(code: string, message: string, options: CodexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CodexError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.details = options.details ?? [];
  }
}

/** A JSON file that is not valid JSON or breaks its schema. The file is left exactly as it is. */
export class InvalidFileError extends CodexError {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[], hint: string) {
    super("E_INVALID_FILE", `${file} is invalid: ${problems[0] ?? "unknown problem"}`, {
      hint,
      details: problems.slice(1),
      exitCode: ExitCode.usage,
    });
    this.name = "InvalidFileError";
    this.file = file;
    this.problems = problems;
  }
}

/** The plan (features.json) has problems: all of them, each with its place. */
export class PlanError extends CodexError {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super("E_PLAN", `${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"}`, {
      details: problems,
      hint: "Fix the plan (codex-lead edit features), then run `codex-lead validate`.",
      exitCode: ExitCode.usage,
    });
    this.name = "PlanError";
    this.problems = problems;
  }
}

export class UsageError extends CodexError {
  constructor(message: string, hint?: string) {
    super("E_USAGE", message, { hint, exitCode: ExitCode.usage });
    this.name = "UsageError";
  }
}

export class LockBusyError extends CodexError {
  constructor(file: string, cause?: unknown) {
    super("E_LOCK_BUSY", `could not lock ${file}: another process holds it`, {
      hint: "Try again; if no codex process is running, the lock goes stale by itself within the stale time.",
      exitCode: ExitCode.busy,
      cause,
    });
    this.name = "LockBusyError";
  }
}

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}

export function errnoCode(error: unknown): string | undefined {
  return isErrnoException(error) ? error.code : undefined;
}

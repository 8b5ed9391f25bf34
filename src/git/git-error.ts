// The one failure of the git module: which git command failed, where, how, and git's own words.
import { CodexError, ExitCode } from "../errors.js";
import { redactSecrets } from "../util/redact.js";

export interface GitErrorDetails {
  /** The arguments after `git` (global `-c` options included). */
  argv: string[];
  cwd: string;
  /** Undefined when git could not be started or was killed by a signal. */
  exitCode: number | undefined;
  /** The last lines of git's stderr (at most ~2 KB). */
  stderrTail: string;
  cause?: unknown;
}

const MESSAGE_TAIL_CHARS = 400;

export class GitError extends CodexError {
  readonly argv: string[];
  readonly cwd: string;
  readonly gitExitCode: number | undefined;
  readonly stderrTail: string;

  constructor(details: GitErrorDetails) {
    // git's stderr may print what a hook or a filter echoed, environment secrets included.
    details = { ...details, stderrTail: redactSecrets(details.stderrTail) };
    const how = details.exitCode === undefined ? "could not run" : `exit code ${details.exitCode}`;
    const said = oneLine(details.stderrTail);
    super("E_GIT", `git ${details.argv.join(" ")} failed in ${details.cwd} (${how})${said ? `: ${said}` : ""}`, {
      exitCode: ExitCode.internal,
      cause: details.cause,
    });
    this.name = "GitError";
    this.argv = details.argv;
    this.cwd = details.cwd;
    this.gitExitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
  }
}

function oneLine(text: string): string {
  const flat = text.trim().split(/\r?\n/).filter(Boolean).join(" | ");
  return flat.length > MESSAGE_TAIL_CHARS ? `…${flat.slice(-MESSAGE_TAIL_CHARS)}` : flat;
}

/** An argument that git would misread as an option, or that cannot be passed at all, is our caller's bug. */
export function assertGitArg(value: string, what: string): string {
  if (value === "" || value.startsWith("-") || value.includes("\0") || /[\r\n]/.test(value)) {
    throw new RangeError(`invalid ${what} for git: ${JSON.stringify(value)}`);
  }
  return value;
}

// The built-in `cli` profiles: each agent CLI run non-interactively, edits allowed in the worktree, the worker committing.
// A profile of the same name in config.json replaces one of these. They use the user's own login of each CLI.
import type { CliProfile } from "../../schema/config.js";

/**
 * codex: `exec --json` prints JSONL; `workspace-write` lets it edit the worktree (its `.git` stays read-only, so the
 * worker commits) and `--add-dir {codex_dir}` lets `codex-worker report`/`result` write the run's state.
 * `--skip-git-repo-check` for worktrees codex does not recognise, `--ephemeral` keeps no session file.
 */
const codex: CliProfile = {
  type: "cli",
  command: [
    "codex", "exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "--ephemeral",
    "-C", "{worktree}", "--add-dir", "{codex_dir}", "--", "{prompt}",
  ],
  output: "codex",
};

/**
 * claude: `-p` with `stream-json` (which needs `--verbose`); the listed tools run without asking (as root, bypassing
 * permissions is refused); `--add-dir {codex_dir}` lets it read the notes file; no transcript kept.
 */
const claude: CliProfile = {
  type: "cli",
  command: [
    "claude", "-p", "--output-format", "stream-json", "--verbose",
    "--allowedTools", "Read,Write,Edit,Bash,Glob,Grep", "--add-dir", "{codex_dir}",
    "--no-session-persistence", "--", "{prompt}",
  ],
  output: "claude",
};

/**
 * gemini: `-p` is headless; `--yolo` runs tools without asking; `--skip-trust` because a fresh worktree is not a
 * trusted folder (gemini refuses to run headless there otherwise); `{codex_dir}` joins the workspace for the notes file.
 */
const gemini: CliProfile = {
  type: "cli",
  command: [
    "gemini", "--output-format", "stream-json", "--yolo", "--skip-trust",
    "--include-directories", "{codex_dir}", "-p", "{prompt}",
  ],
  output: "gemini",
};

export const CLI_PRESETS: Readonly<Record<"codex" | "claude" | "gemini", CliProfile>> = { codex, claude, gemini };

/** The built-in profile of this name, as a fresh copy (callers may change it), or undefined. */
export function cliPreset(name: string): CliProfile | undefined {
  // Own properties only: a name such as "toString" must not find Object.prototype's.
  const preset = Object.hasOwn(CLI_PRESETS, name) ? (CLI_PRESETS as Record<string, CliProfile>)[name] : undefined;
  return preset === undefined ? undefined : { ...preset, command: [...preset.command] };
}

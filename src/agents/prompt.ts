// The task prompt every agent kind starts from: the subtask, what was said and what happened so far, and how to report.
// Plain text and deterministic (same input, same bytes), so a resumed attempt asks the same thing and tests compare strings.
import type { AgentInput } from "./contract.js";

/** Indents every line after the first, so a multi-line text stays inside its list item. */
function indented(text: string, indent: string): string {
  return text.trim().replace(/\r?\n/g, `\n${indent}`);
}

function list(items: string[]): string[] {
  return items.map((item) => `- ${indented(item, "  ")}`);
}

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : ["", `## ${title}`, ...lines];
}

export function buildTaskPrompt(input: AgentInput): string {
  const { task, history } = input;
  const lines: string[] = [
    `You are doing one subtask of a larger plan, in a git worktree of your own: ${input.worktree}`,
    "Work only inside that folder.",
    "",
    `# Subtask ${task.id}: ${task.name}`,
  ];
  const description = task.description?.trim();
  if (description) lines.push("", description);

  lines.push(...section("Acceptance criteria", list(task.acceptance)));
  lines.push(...section("Files you are expected to touch", list(task.files)));
  if (task.resultSchema !== undefined) {
    lines.push(
      ...section("Structured result", [
        "This subtask needs a structured result. When done, record it with",
        "  codex-worker result '<json>'",
        "where <json> matches this JSON Schema:",
        JSON.stringify(task.resultSchema, null, 2),
      ]),
    );
  }
  lines.push(
    ...section(
      "Notes and feedback so far (oldest first; later ones win)",
      list(history.messages.map((m) => `${m.kind} from ${m.from} at ${m.at}: ${m.text}`)),
    ),
  );
  lines.push(
    ...section(
      "Earlier attempts at this subtask",
      list(history.attempts.map((a) => `attempt ${a.attempt}: ${a.outcome}${a.reason ? ` — ${a.reason}` : ""}`)),
    ),
  );
  if (history.conflicts.length > 0) {
    lines.push(
      ...section("Merge conflict", [
        "Your earlier work conflicted with the integration branch in these files; make it fit the current code:",
        ...list(history.conflicts),
      ]),
    );
  }
  lines.push(
    ...section("How to work and report", [
      "- Do not commit, branch, tag or push: the worker commits your changes in this worktree when you finish.",
      '- Report progress now and then (it also shows you are alive): codex-worker report --progress N --detail "what you are doing"',
      "  (N is a percentage, 0-100).",
      "- Record a structured result, when the subtask asks for one: codex-worker result '<json>'",
      `- Notes from people may arrive while you work: they are appended to ${input.notesFile} (also in $CODEX_NOTES_FILE).`,
      "  Read that file now and then, and before you finish; follow what it says.",
      "- When you are done, end with a short summary of what you changed and how you checked it.",
    ]),
  );
  return `${lines.join("\n")}\n`;
}

// The task prompt: exact text for a full input, sections left out when empty, deterministic.
import { describe, expect, it } from "vitest";
import { type AgentInput, type AgentTask, type AgentHistory } from "../src/agents/contract.js";
import { buildTaskPrompt } from "../src/agents/prompt.js";

function input(task: AgentTask, history: AgentHistory): AgentInput {
  return {
    profileName: "codex",
    profile: { type: "cli", command: ["codex"] },
    task,
    token: { task: task.id, attempt: 3, worker: "w1" },
    root: "/repo",
    worktree: "/repo/.codex/worktrees/t1",
    history,
    budget: { limit: undefined, spentBefore: 0, creditsOf: () => 0 },
    env: {},
    notesFile: "/repo/.codex/notes/t1.md",
    logFile: "/repo/.codex/logs/t1.log",
    recordDir: "/repo/.codex/agents/t1",
    timeoutMs: 1000,
    signal: new AbortController().signal,
    reportProgress: async () => undefined,
    log: () => undefined,
  };
}

const full = input(
  {
    id: "t1",
    name: "Add a greeting",
    description: "Write hello.txt.\nKeep it short.",
    acceptance: ["hello.txt says hello", "nothing else changes"],
    files: ["hello.txt", "src/**/*.ts"],
    resultSchema: { type: "object", properties: { words: { type: "integer" } }, required: ["words"] },
  },
  {
    messages: [
      { kind: "note", from: "ana", text: "Use lower case.\nNo punctuation.", at: "2026-01-01T10:00:00Z" },
      { kind: "feedback", from: "review", text: "Missing newline at the end.", at: "2026-01-01T11:00:00Z" },
    ],
    attempts: [
      { attempt: 1, outcome: "failed", reason: "exit code 1" },
      { attempt: 2, outcome: "stalled" },
    ],
    conflicts: ["hello.txt"],
  },
);

describe("buildTaskPrompt", () => {
  it("carries the subtask, criteria, files, schema, notes, attempts, conflicts and how to report", () => {
    expect(buildTaskPrompt(full)).toBe(`You are doing one subtask of a larger plan, in a git worktree of your own: /repo/.codex/worktrees/t1
Work only inside that folder.

# Subtask t1: Add a greeting

Write hello.txt.
Keep it short.

## Acceptance criteria
- hello.txt says hello
- nothing else changes

## Files you are expected to touch
- hello.txt
- src/**/*.ts

## Structured result
This subtask needs a structured result. When done, record it with
  codex-worker result '<json>'
where <json> matches this JSON Schema:
{
  "type": "object",
  "properties": {
    "words": {
      "type": "integer"
    }
  },
  "required": [
    "words"
  ]
}

## Notes and feedback so far (oldest first; later ones win)
- note from ana at 2026-01-01T10:00:00Z: Use lower case.
  No punctuation.
- feedback from review at 2026-01-01T11:00:00Z: Missing newline at the end.

## Earlier attempts at this subtask
- attempt 1: failed — exit code 1
- attempt 2: stalled

## Merge conflict
Your earlier work conflicted with the integration branch in these files; make it fit the current code:
- hello.txt

## How to work and report
- Do not commit, branch, tag or push: the worker commits your changes in this worktree when you finish.
- Report progress now and then (it also shows you are alive): codex-worker report --progress N --detail "what you are doing"
  (N is a percentage, 0-100).
- Record a structured result, when the subtask asks for one: codex-worker result '<json>'
- Notes from people may arrive while you work: they are appended to /repo/.codex/notes/t1.md (also in $CODEX_NOTES_FILE).
  Read that file now and then, and before you finish; follow what it says.
- When you are done, end with a short summary of what you changed and how you checked it.
`);
  });

  it("leaves out empty sections and is deterministic", () => {
    const bare = input({ id: "t2", name: "Bare", acceptance: [], files: [] }, { messages: [], attempts: [], conflicts: [] });
    const text = buildTaskPrompt(bare);
    expect(text).toBe(buildTaskPrompt(bare));
    expect(text.startsWith("You are doing one subtask of a larger plan, in a git worktree of your own: /repo/.codex/worktrees/t1\nWork only inside that folder.\n\n# Subtask t2: Bare\n\n## How to work and report\n")).toBe(true);
    for (const title of ["Acceptance", "Files you are", "Structured result", "Notes and feedback", "Earlier attempts", "Merge conflict"]) {
      expect(text).not.toContain(title);
    }
    expect(text).toContain("codex-worker report --progress N");
    expect(text).toContain("/repo/.codex/notes/t1.md");
  });
});

// File guardrails: the glob matcher, the worker refusing an attempt that changed files outside the subtask's
// `files` (or forbidden ones), and the lead refusing a hand-off whose commit got around the worker.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkFiles, fileGuardOf } from "../src/guard/file-guard.js";
import { matchesGlob } from "../src/guard/glob.js";
import { node, RunRepo } from "./helpers/run-harness.js";

describe("matchesGlob", () => {
  it.each([
    ["src/a.ts", "src/*.ts", true],
    ["src/deep/a.ts", "src/*.ts", false],
    ["src/deep/a.ts", "src/**/*.ts", true],
    ["src/a.ts", "src/**/*.ts", true],
    ["src/a.ts", "src/**", true],
    [".github/workflows/ci.yml", ".github/**", true],
    ["github/x", ".github/**", false],
    ["api/auth.ts", "api/auth.ts", true],
    ["api/auth.tsx", "api/auth.ts", false],
    ["api/auth/x.ts", "api/auth", true],
    ["docs/a.md", "docs/", true],
    ["a.ts", "?.ts", true],
    ["ab.ts", "?.ts", false],
    ["a.md", "*.{md,txt}", true],
    ["a.js", "*.{md,txt}", false],
    ["b1.txt", "b[0-9].txt", true],
    ["a+b(1).txt", "a+b(1).txt", true],
    ["axb.txt", "a.b.txt", false],
  ])("%s against %s: %s", (file, glob, expected) => {
    expect(matchesGlob(file, glob)).toBe(expected);
  });

  it("names files outside the allowlist and forbidden ones apart", () => {
    const guard = fileGuardOf({ files: ["src/**"] }, { guard: { files: true, forbid: [".github/**"] } });
    expect(checkFiles(["src/a.ts", "README.md", ".github/ci.yml"], guard)).toEqual({ outside: ["README.md"], forbidden: [".github/ci.yml"] });
    expect(checkFiles(["src/a.ts"], guard)).toBeUndefined();
    // Without guard.files or files_only, only forbid applies.
    expect(checkFiles(["README.md"], fileGuardOf({ files: ["src/**"] }, { guard: { files: false, forbid: [] } }))).toBeUndefined();
  });
});

/** argv of an agent writing each of `files` in its worktree (no shell reads any of it). */
const writes = (...files: string[]): string[] => [
  node,
  "-e",
  "const fs=require('fs'),p=require('path');for(const f of process.argv.slice(1)){fs.mkdirSync(p.dirname(f),{recursive:true});fs.writeFileSync(f,'x\\n')}",
  ...files,
];

function planWith(repo: RunRepo, subtask: Record<string, unknown>): void {
  repo.writeFeaturesText(`${JSON.stringify({ features: [{ id: "f", feature: "guard test", subtasks: [subtask] }] }, null, 2)}\n`);
}

describe("codex-lead run with file guardrails", () => {
  it("fails an attempt that changed a file outside files (files_only), naming it, with feedback; the work is kept on its branch", async () => {
    const repo = await RunRepo.create([], { max_attempts: 1 });
    planWith(repo, { id: "g", name: "guarded", command: writes("allowed/a.txt", "outside.txt"), files: ["allowed/**"], files_only: true });
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 3, signal: null });
    const task = repo.task("g");
    expect(task.status).toBe("failed");
    expect(task.error).toContain("file guard: changed files outside the subtask's files (allowed/**): outside.txt");
    expect(task.error).not.toContain("allowed/a.txt");
    const feedback = repo.inbox("g").messages.filter((m) => m.kind === "feedback");
    expect(feedback.map((m) => m.from)).toEqual(["guard"]);
    expect(feedback[0]?.text).toContain("outside.txt");
    expect(repo.show("codex/work/g/a1", "outside.txt")).toBe("x\n");
    expect(repo.tags().size).toBe(0);
  });

  it("refuses guard.forbid for every subtask, without any files_only", async () => {
    const repo = await RunRepo.create([], { max_attempts: 1, guard: { forbid: [".github/**"] } });
    planWith(repo, { id: "ci", name: "touches CI", command: writes(".github/workflows/x.yml", "ok.txt") });
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 3, signal: null });
    expect(repo.task("ci").error).toContain("changed files that guard.forbid refuses (.github/**): .github/workflows/x.yml");
  });

  it("lets a change inside files through", async () => {
    const repo = await RunRepo.create([], { guard: { files: true } });
    planWith(repo, { id: "ok", name: "inside", command: writes("allowed/a.txt"), files: ["allowed/**"] });
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.show("codex/integration", "allowed/a.txt")).toBe("x\n");
  });

  it("the lead refuses a handed-off commit with a file outside files, though no worker checked it", async () => {
    const repo = await RunRepo.create([], { max_attempts: 1 });
    planWith(repo, { id: "h", name: "sneaky", command: writes("ok.txt"), files: ["ok.txt"], files_only: true });
    // The hand-off a worker that skipped its check would write: a commit with the token's trailers on the base.
    const base = repo.git(["rev-parse", "HEAD"]);
    repo.git(["branch", "codex/integration", base]);
    repo.git(["checkout", "-q", "-b", "codex/work/h/a1"]);
    writeFileSync(path.join(repo.root, "ok.txt"), "fine\n");
    writeFileSync(path.join(repo.root, "sneaky.txt"), "not allowed\n");
    repo.git(["add", "ok.txt", "sneaky.txt"]);
    repo.git(["commit", "-q", "-m", "h: sneaky\n\nTask: h\nAttempt: 1\nWorker: w-by-hand"]);
    const commit = repo.git(["rev-parse", "HEAD"]);
    repo.git(["checkout", "-q", "main"]);
    const at = new Date().toISOString();
    writeFileSync(
      path.join(repo.dir, "progress.json"),
      `${JSON.stringify({ tasks: { h: { status: "in_progress", attempt: 1, assignee: "w-by-hand", started_at: at, updated_at: at, base, branch: "codex/work/h/a1", handoff: { attempt: 1, outcome: "succeeded", commit, at } } } }, null, 2)}\n`,
    );
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 3, signal: null });
    const task = repo.task("h");
    expect(task.status).toBe("failed");
    expect(task.attempts?.map((a) => a.outcome)).toEqual(["refused"]);
    expect(task.error).toContain("file guard: changed files outside the subtask's files (ok.txt): sneaky.txt");
    expect(repo.show("codex/integration", "sneaky.txt")).toBeUndefined();
    expect(repo.tags().size).toBe(0);
    expect(repo.inbox("h").messages.some((m) => m.kind === "feedback" && m.from === "guard" && m.text?.includes("sneaky.txt"))).toBe(true);
  });
});

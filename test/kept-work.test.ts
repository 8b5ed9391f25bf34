// status names work kept on codex/work/* branches that did not land, and only that.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitAll } from "../src/git/index.js";
import { keptWork, renderKeptWork } from "../src/report/kept-work.js";
import { git, tempRepo } from "./helpers/temp.js";

async function branchWith(repo: string, branch: string, trailers: Record<string, string> | undefined): Promise<void> {
  const worktree = path.join(repo, ".codex", branch.replaceAll("/", "-"));
  git(repo, ["worktree", "add", "-q", "-b", branch, worktree, "HEAD"]);
  if (!trailers) return;
  writeFileSync(path.join(worktree, `${branch.replaceAll("/", "-")}.txt`), "work\n");
  await commitAll(worktree, { message: `work on ${branch}`, trailers });
}

describe("keptWork", () => {
  it("lists WIP and unmerged finished attempts, not the landed, running or empty ones", async () => {
    const repo = tempRepo();
    await branchWith(repo, "codex/work/a/a1", { Task: "a", Attempt: "1", Worker: "w1", "Codex-WIP": "true" });
    await branchWith(repo, "codex/work/a/a2", { Task: "a", Attempt: "2", Worker: "w1" });
    await branchWith(repo, "codex/work/b/a1", { Task: "b", Attempt: "1", Worker: "w2" });
    await branchWith(repo, "codex/work/c/a1", { Task: "c", Attempt: "1", Worker: "w2" });
    await branchWith(repo, "codex/work/d/a1", undefined);
    await branchWith(repo, "feature/mine", { Task: "a", Attempt: "9", Worker: "me", "Codex-WIP": "true" });
    const progress = {
      tasks: {
        a: { status: "completed" as const, attempt: 2 },
        b: { status: "blocked" as const, attempt: 1, reason: "conflict" },
        c: { status: "in_progress" as const, attempt: 1 },
        d: { status: "in_progress" as const, attempt: 1 },
      },
    };
    const kept = await keptWork(repo, progress);
    expect(kept).toEqual([
      { branch: "codex/work/a/a1", task: "a", attempt: 1, why: "uncommitted work of a stopped or failed attempt, committed as WIP" },
      { branch: "codex/work/b/a1", task: "b", attempt: 1, why: "a finished attempt that was not merged" },
    ]);
    expect(renderKeptWork(kept)).toContain("  codex/work/b/a1  a finished attempt that was not merged\n");
    expect(renderKeptWork([])).toBe("");
  });
});

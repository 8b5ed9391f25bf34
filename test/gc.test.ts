// codex-lead gc with merged, unmerged, live, dirty and foreign branches and worktrees present: only merged codex ones go.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, leadBin, tempRepo } from "./helpers/temp.js";
import { liveWorkerProcess, ourWorktree } from "./helpers/worktrees.js";

function lead(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [leadBin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", CODEX_DEBUG: undefined }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function branches(dir: string): string[] {
  return git(dir, ["branch", "--list", "--format=%(refname:short)"]).split("\n");
}

describe("gc", () => {
  it("removes only merged codex branches and worktrees; lists the rest with what they would lose", async () => {
    const dir = tempRepo();
    writeFileSync(
      path.join(dir, ".codex", "features.json"),
      JSON.stringify({ features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A", command: "printf 'a\\n' > a.txt" }, { id: "b", name: "B", command: "printf 'b\\n' > b.txt" }] }] }),
    );
    writeFileSync(path.join(dir, ".codex", "config.json"), JSON.stringify({ workers: 2, heartbeat: "200ms" }));
    const run = lead(dir, ["run"]);
    expect(run.code, run.stderr).toBe(0);
    const runTrees = git(dir, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l.startsWith("worktree ") && l.includes("/.codex/worktrees/")).map((l) => path.relative(dir, l.slice(9)));

    // Unmerged: a codex/work branch with a commit the integration branch does not have.
    git(dir, ["switch", "-q", "-c", "codex/work/zz/a1", "codex/integration"]);
    writeFileSync(path.join(dir, "z.txt"), "z\n");
    git(dir, ["add", "z.txt"]);
    git(dir, ["commit", "-q", "-m", "unmerged work"]);
    // Foreign: not ours, never listed.
    git(dir, ["switch", "-q", "-c", "feature/mine", "main"]);
    writeFileSync(path.join(dir, "mine.txt"), "mine\n");
    git(dir, ["add", "mine.txt"]);
    git(dir, ["commit", "-q", "-m", "mine"]);
    git(dir, ["switch", "-q", "main"]);
    // Live: a worker of this process (alive), merged branch, in its worktree.
    await ourWorktree(dir, path.join(dir, ".codex", "worktrees", "wlive"), "codex/work/live/a1", "codex/integration");
    // Dead and dirty: merged branch, one uncommitted file.
    await ourWorktree(dir, path.join(dir, ".codex", "worktrees", "wdirty"), "codex/work/dirty/a1", "codex/integration");
    writeFileSync(path.join(dir, ".codex", "worktrees", "wdirty", "notes.txt"), "unsaved\n");
    const progressFile = path.join(dir, ".codex", "progress.json");
    const progress = JSON.parse(readFileSync(progressFile, "utf8"));
    const now = new Date().toISOString();
    const worker = liveWorkerProcess();
    progress.workers.wlive = { status: "busy", task: "live", attempt: 1, pid: worker.pid, pid_start: worker.pid_start, host: os.hostname(), started_at: now, updated_at: now };
    writeFileSync(progressFile, `${JSON.stringify(progress, null, 2)}\n`);

    const before = branches(dir);
    const dry = lead(dir, ["gc", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(branches(dir)).toEqual(before);
    expect(dry.stdout).not.toContain("feature/mine");
    expect(dry.stdout).not.toContain("main");

    const result = lead(dir, ["gc", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const items = (JSON.parse(result.stdout) as { items: Array<{ kind: string; name: string; action: string; why: string; uncommitted: number; unmergedCommits: number }> }).items;
    const byName = (name: string) => items.find((item) => item.name === name);
    expect(items.some((item) => item.name.includes("feature/mine") || item.name === "main")).toBe(false);
    for (const tree of runTrees) expect(byName(tree)).toMatchObject({ kind: "worktree", action: "removed", uncommitted: 0, unmergedCommits: 0 });
    expect(byName("codex/work/a/a1")).toEqual({ kind: "branch", name: "codex/work/a/a1", action: "removed", why: "merged into codex/integration", uncommitted: 0, unmergedCommits: 0 });
    expect(byName("codex/work/b/a1")).toMatchObject({ action: "removed" });
    expect(byName("codex/work/zz/a1")).toEqual({
      kind: "branch",
      name: "codex/work/zz/a1",
      action: "kept",
      why: "would lose 1 unmerged commit; `codex-lead gc --abandon codex/work/zz/a1` removes it anyway",
      uncommitted: 0,
      unmergedCommits: 1,
    });
    expect(byName(path.join(".codex", "worktrees", "wlive"))).toEqual({ kind: "worktree", name: path.join(".codex", "worktrees", "wlive"), action: "kept", why: `live worker wlive (pid ${worker.pid} on ${os.hostname()})`, uncommitted: 0, unmergedCommits: 0 });
    expect(byName("codex/work/live/a1")).toMatchObject({ action: "kept", why: `in use by live worker wlive (pid ${worker.pid})` });
    expect(byName(path.join(".codex", "worktrees", "wdirty"))).toEqual({
      kind: "worktree",
      name: path.join(".codex", "worktrees", "wdirty"),
      action: "kept",
      why: "would lose 1 uncommitted file (codex/work/dirty/a1); `codex-lead gc --abandon wdirty` removes it anyway",
      uncommitted: 1,
      unmergedCommits: 0,
    });
    expect(byName("codex/work/dirty/a1")).toMatchObject({ action: "kept", why: `checked out in ${path.join(".codex", "worktrees", "wdirty")}` });
    expect(branches(dir)).toEqual(["codex/integration", "codex/work/dirty/a1", "codex/work/live/a1", "codex/work/zz/a1", "feature/mine", "main"]);
    expect(readFileSync(path.join(dir, ".codex", "worktrees", "wdirty", "notes.txt"), "utf8")).toBe("unsaved\n");
    expect(git(dir, ["tag", "--list"]).split("\n")).toEqual(["codex/task/a", "codex/task/b"]);

    // A live worker's branch cannot be abandoned; a foreign branch is refused as not ours.
    const live = lead(dir, ["gc", "--abandon", "codex/work/live/a1"]);
    expect([live.code, live.stderr.split("\n")[0]]).toEqual([2, `codex-lead: --abandon codex/work/live/a1: in use by live worker wlive (pid ${worker.pid}); nothing was removed`]);
    const foreign = lead(dir, ["gc", "--abandon", "feature/mine"]);
    expect([foreign.code, foreign.stderr.split("\n")[0]]).toEqual([2, "codex-lead: --abandon feature/mine: not a codex/work/ branch or a worktree under .codex/worktrees"]);
    expect(branches(dir)).toEqual(["codex/integration", "codex/work/dirty/a1", "codex/work/live/a1", "codex/work/zz/a1", "feature/mine", "main"]);

    // Explicitly abandoned: removed, saying what was lost.
    const abandon = lead(dir, ["gc", "--abandon", "codex/work/zz/a1", "wdirty"]);
    expect(abandon.code, abandon.stderr).toBe(0);
    expect(abandon.stdout).toContain("removed branch codex/work/zz/a1: abandoned; would lose 1 unmerged commit\n");
    expect(abandon.stdout).toContain(`removed worktree ${path.join(".codex", "worktrees", "wdirty")}: abandoned (codex/work/dirty/a1); would lose 1 uncommitted file\n`);
    expect(branches(dir)).toEqual(["codex/integration", "codex/work/live/a1", "feature/mine", "main"]);
  }, 60_000);
});

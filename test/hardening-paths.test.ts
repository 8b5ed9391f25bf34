// We touch only what we made: clean-up, recovery and gc leave a person's worktrees and whatever a symbolic link under
// .codex/ points at alone, and no file under .codex/ is written, appended or removed through a link.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanOrphanWorktrees } from "../src/lead/recover.js";
import { CodexStore } from "../src/store/codex-store.js";
import { agent, RunRepo } from "./helpers/run-harness.js";
import { git, leadBin, tempDir, waitFor } from "./helpers/temp.js";

/** Every file and folder under `dir` with its content: what must stay exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const relative = path.relative(dir, full);
      if (statSync(full).isDirectory()) {
        out[`${relative}/`] = "";
        if (name !== ".git") walk(full);
      } else {
        out[relative] = readFileSync(full, "utf8");
      }
    }
  };
  walk(dir);
  return out;
}

function gc(root: string, args: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [leadBin, "gc", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A person's own worktree of the repository at `dir`: clean, on a merged branch, with an ignored .env holding a secret. */
function personalWorktree(root: string, dir: string, branch: string): void {
  git(root, ["worktree", "add", "-q", "-b", branch, dir, "codex/integration"]);
  writeFileSync(path.join(dir, ".env"), "API_KEY=personal\n");
}

async function repoWithIntegration(): Promise<RunRepo> {
  const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
  repo.git(["branch", "codex/integration", "main"]);
  // Ignored in every worktree of the repository (info/exclude is shared by them).
  writeFileSync(path.join(repo.root, ".git", "info", "exclude"), ".env\n");
  return repo;
}

describe("worktrees that are not ours", () => {
  it("a symlinked .codex/worktrees: recovery and gc leave its target outside the repository untouched", async () => {
    const repo = await repoWithIntegration();
    const outside = tempDir("codex-linked-worktrees-");
    mkdirSync(path.join(outside, "w-old"));
    writeFileSync(path.join(outside, "w-old", "thesis.txt"), "years of work\n");
    writeFileSync(path.join(outside, "keep.txt"), "keep\n");
    personalWorktree(repo.root, path.join(outside, "mine"), "mine");
    symlinkSync(outside, path.join(repo.dir, "worktrees"));
    const before = snapshot(outside);

    const lines: string[] = [];
    expect(await cleanOrphanWorktrees(new CodexStore(repo.root), (line) => lines.push(line))).toEqual([]);
    expect(lines).toEqual([`left .codex/worktrees alone: ${path.join(repo.dir, "worktrees")} is a symbolic link; codex-crew only clears up worktrees it made inside the repository`]);
    const result = gc(repo.root);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/^removed/m);
    expect(snapshot(outside)).toEqual(before);
    expect(repo.git(["worktree", "list", "--porcelain"])).toContain(`worktree ${path.join(outside, "mine")}`);
  }, 60_000);

  it("gc keeps a person's own clean worktree under .codex/worktrees, with its ignored .env", async () => {
    const repo = await repoWithIntegration();
    const mine = path.join(repo.dir, "worktrees", "mine");
    mkdirSync(path.dirname(mine), { recursive: true });
    personalWorktree(repo.root, mine, "codex/work/mine/a1");
    const before = snapshot(mine);

    const result = gc(repo.root);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`kept worktree ${path.join(".codex", "worktrees", "mine")}: it was not created by codex-crew (no marker in its git dir)`);
    expect(snapshot(mine)).toEqual(before);
    expect(readFileSync(path.join(mine, ".env"), "utf8")).toBe("API_KEY=personal\n");
  }, 60_000);
});

describe("no write under .codex/ through a symbolic link", () => {
  /** A file outside the repository that a link under .codex/ points at. */
  function linkedTarget(repo: RunRepo, relative: string, content: string): string {
    const target = path.join(tempDir("codex-link-target-"), "precious");
    writeFileSync(target, content);
    const link = path.join(repo.dir, relative);
    mkdirSync(path.dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(target, link);
    return target;
  }

  it("events.jsonl: the run refuses to start, naming the link; its target is unchanged", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const target = linkedTarget(repo, "events.jsonl", "precious\n");
    const run = repo.start();
    expect((await run.waitForExit()).code, run.describe()).toBe(2);
    expect(run.stderr).toContain(`refused to append to ${path.join(repo.dir, "events.jsonl")}: ${path.join(repo.dir, "events.jsonl")} is a symbolic link to ${target}`);
    expect(readFileSync(target, "utf8")).toBe("precious\n");
  }, 60_000);

  it("a symlinked folder a run writes in (.codex/logs): the run refuses to start, naming it; nothing lands in its target", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const target = tempDir("codex-linked-logs-");
    rmSync(path.join(repo.dir, "logs"), { recursive: true, force: true });
    symlinkSync(target, path.join(repo.dir, "logs"));
    const run = repo.start();
    expect((await run.waitForExit()).code, run.describe()).toBe(2);
    expect(run.stderr).toContain(`refused to use ${path.join(repo.dir, "logs")}: ${path.join(repo.dir, "logs")} is a symbolic link to ${target}`);
    expect(readdirSync(target)).toEqual([]);
  }, 60_000);

  it("an inbox: `send` is refused, naming the link; its target is unchanged", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const inbox = `${JSON.stringify({ task: "t1", messages: [] }, null, 2)}\n`;
    const target = linkedTarget(repo, path.join("inbox", "t1.json"), inbox);
    const result = await repo.lead(["send", "t1", "hello"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${path.join(repo.dir, "inbox", "t1.json")} is a symbolic link to ${target}`);
    expect(readFileSync(target, "utf8")).toBe(inbox);
  }, 60_000);

  it("the codex-worker shim: the attempt fails naming the link; the script it points at is unchanged", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }], { max_attempts: 1 });
    const target = linkedTarget(repo, path.join("bin", "codex-worker"), "#!/bin/sh\necho mine\n");
    const run = repo.start();
    expect((await run.waitForExit()).code, run.describe()).toBe(3);
    expect(repo.task("t1").error).toContain(`${path.join(repo.dir, "bin", "codex-worker")} is a symbolic link to ${target}`);
    expect(readFileSync(target, "utf8")).toBe("#!/bin/sh\necho mine\n");
  }, 60_000);

  it("a notes file: its attempt fails naming the link, a note sent later reaches the next attempt's own file; the target is unchanged", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "all", "t1.txt") }]);
    const target = linkedTarget(repo, path.join("notes", "t1.a1.txt"), "precious\n");
    const run = repo.start();
    // Whichever attempt runs the agent (the first, where links are followed), a note is sent to it.
    const attempt = await run.until("an attempt to be working", () => [1, 2, 3].find((n) => repo.hasMark(`t1-a${n}`)));
    expect((await repo.lead(["send", "t1", "a note"])).code).toBe(0);
    await run.until("the note to be taken", () => repo.inbox("t1").messages.find((m) => m.kind === "note")?.acked_at);
    repo.mark("release-t1");
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(attempt).toBe(2);
    expect(repo.task("t1").attempts?.[0]?.reason).toContain(`${path.join(repo.dir, "notes", "t1.a1.txt")} is a symbolic link to ${target}`);
    await waitFor("the note in attempt 2's notes file", () => readFileSync(path.join(repo.dir, "notes", "t1.a2.txt"), "utf8").includes("a note"));
  }, 90_000);

  it("the plan cache: a run neither writes its target nor trusts it", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const target = linkedTarget(repo, path.join("cache", "plan-checked.sha256"), "0000\n");
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
    expect(readFileSync(target, "utf8")).toBe("0000\n");
  }, 60_000);
});

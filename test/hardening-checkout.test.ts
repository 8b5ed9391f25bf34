// The user's checkout and work are never lost: the integration branch is nobody's checkout, a commit that fails
// keeps its work and says why, submodule changes are committed or refused, a slow commit hook is no stall, and two
// plans in two worktrees of one repository do not take each other's completions.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FAST_CONFIG, node, RunRepo } from "./helpers/run-harness.js";
import { runLead } from "./helpers/lead-cli.js";
import { git, tempDir } from "./helpers/temp.js";

/** A node one-liner as an argv command (no shell reads it). */
const script = (code: string): string[] => [node, "-e", code];
const writeWork = script("require('fs').writeFileSync('work.txt', 'the work\\n')");

function hook(repo: RunRepo, name: string, body: string): void {
  const file = path.join(repo.root, ".git", "hooks", name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

describe("the integration branch", () => {
  it("is refused when it is checked out, or not a valid branch name; nothing moves", async () => {
    const repo = await RunRepo.create([{ id: "t", command: writeWork }], { integration_branch: "main" });
    const head = repo.git(["rev-parse", "main"]);
    const validate = await repo.lead(["validate"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`integration_branch "main" is checked out in ${repo.root}`);
    const run = await repo.lead(["run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('integration_branch "main" is checked out');
    expect(run.stderr).not.toMatch(/this is a bug|\n\s+at /);
    expect(repo.git(["rev-parse", "main"])).toBe(head);
    expect(repo.git(["status", "--porcelain", "--untracked-files=no"])).toBe("");

    writeFileSync(path.join(repo.dir, "config.json"), JSON.stringify({ ...FAST_CONFIG, integration_branch: "bad..name" }));
    const invalid = await repo.lead(["validate"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('integration_branch "bad..name" is not a valid branch name');
  });
});

describe("a commit that fails", () => {
  it("with commit.gpgsign and no usable key: the attempt fails naming git's error, the work is kept on its branch", async () => {
    const repo = await RunRepo.create([{ id: "signed", command: writeWork }], { max_attempts: 1 });
    repo.git(["config", "commit.gpgsign", "true"]);
    repo.git(["config", "gpg.program", "false"]);
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(3);
    const task = repo.task("signed");
    expect(task.status).toBe("failed");
    expect(task.error).toContain("commit failed");
    expect(task.error).toContain("gpg failed to sign");
    expect(task.error).toContain("the work is kept on branch codex/work/signed/a1");
    expect(repo.show("codex/work/signed/a1", "work.txt")).toBe("the work\n");
    expect(repo.git(["log", "-1", "--format=%(trailers:key=Codex-WIP,valueonly)", "codex/work/signed/a1"])).toBe("true");
  });

  it("refused by a commit hook: the attempt fails with the hook's words, the work is kept on its branch", async () => {
    const repo = await RunRepo.create([{ id: "hooked", command: writeWork }], { max_attempts: 1 });
    hook(repo, "prepare-commit-msg", 'echo "policy says no" >&2\nexit 1');
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(3);
    expect(repo.task("hooked").error).toContain("policy says no");
    expect(repo.show("codex/work/hooked/a1", "work.txt")).toBe("the work\n");
  });

  it("that git cannot save at all (a failing clean filter): the work stays in the worktree, whose worker leaves it", async () => {
    const repo = await RunRepo.create([{ id: "filtered", command: script("require('fs').writeFileSync('x.dat', 'precious ' + process.env.CODEX_ATTEMPT)") }], { workers: 1, max_attempts: 2 });
    writeFileSync(path.join(repo.root, ".gitattributes"), "*.dat filter=broken\n");
    repo.git(["add", ".gitattributes"]);
    repo.git(["commit", "-q", "-m", "attributes"]);
    repo.git(["config", "filter.broken.clean", "false"]);
    repo.git(["config", "filter.broken.required", "true"]);
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(3);
    const attempts = repo.task("filtered").attempts ?? [];
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt.reason).toContain("commit failed");
      expect(attempt.reason).toContain("the work could not be saved either");
      // Each attempt's work is still there, in its own worker's worktree, neither switched nor cleaned.
      expect(readFileSync(path.join(repo.dir, "worktrees", attempt.worker ?? "?", "x.dat"), "utf8")).toBe(`precious ${attempt.attempt}`);
    }
    expect(attempts[0]?.worker).not.toBe(attempts[1]?.worker);
  });

  it("a commit hook slower than the stall timeout does not get the worker killed", async () => {
    const repo = await RunRepo.create([{ id: "slow", command: writeWork }], { heartbeat: "100ms", stall_timeout: "1s" });
    hook(repo, "post-commit", "sleep 3");
    const run = repo.start();
    const exit = await run.waitForExit(60_000);
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(run.of("worker.stalled")).toEqual([]);
    expect(repo.task("slow")).toMatchObject({ status: "completed", attempt: 1 });
  });
});

describe("submodules", () => {
  /** A repository with a submodule `sub` (one file a.txt), by absolute URL so every worktree can clone it. */
  async function withSubmodule(command: string[]): Promise<RunRepo> {
    const lib = tempDir("codex-lib-");
    git(lib, ["init", "-q", "-b", "main"]);
    writeFileSync(path.join(lib, "a.txt"), "a\n");
    git(lib, ["add", "a.txt"]);
    git(lib, ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "lib"]);
    const repo = await RunRepo.create([{ id: "sub-change", command }], { max_attempts: 1 });
    repo.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "sub"]);
    repo.git(["commit", "-q", "-m", "submodule"]);
    return repo;
  }

  it("changes inside a checked-out submodule are committed there, and the new submodule commit lands", async () => {
    const change = "const {execFileSync: x} = require('child_process'); x('git', ['-c', 'protocol.file.allow=always', 'submodule', 'update', '--init', '-q']); require('fs').writeFileSync('sub/a.txt', 'changed\\n')";
    const repo = await withSubmodule(script(change));
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(0);
    const landed = repo.git(["rev-parse", "codex/integration:sub"]);
    expect(landed).not.toBe(repo.git(["rev-parse", "main:sub"]));
    // The submodule's commit outlives the worker's worktree: it is kept in the repository.
    expect(repo.git(["cat-file", "-p", `${landed}:a.txt`])).toBe("changed");
  });

  it("files written into a submodule that is not checked out fail the attempt, saying why", async () => {
    const repo = await withSubmodule(script("require('fs').writeFileSync('sub/new.txt', 'lost?\\n')"));
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(3);
    expect(repo.task("sub-change").error).toContain("files were written into sub, a submodule that is not checked out");
    expect(repo.task("sub-change").error).toContain("new.txt");
  });
});

describe("two plans in two worktrees of one repository", () => {
  it("the second plan neither takes the first one's tags as its own nor runs on its branch", async () => {
    const repo = await RunRepo.create([{ id: "setup", command: writeWork }]);
    const first = await repo.lead(["run"]);
    expect(first.code, first.stderr).toBe(0);
    expect(repo.tags().has("codex/task/setup")).toBe(true);

    const other = path.join(tempDir("codex-wt-"), "other");
    repo.git(["worktree", "add", "-q", "-b", "other", other]);
    const second = new RunRepoIn(other);
    await second.init([{ id: "setup", command: script("require('fs').writeFileSync('b.txt', 'b\\n')") }], {});
    const sameBranch = await second.lead(["run"]);
    expect(sameBranch.code).toBe(2);
    expect(sameBranch.stderr).toContain(`the plan in ${repo.root} runs on integration branch codex/integration too`);

    await second.init(undefined, { integration_branch: "codex/other" });
    const ownBranch = await second.lead(["run"]);
    expect(ownBranch.code).toBe(2);
    expect(ownBranch.stderr).toContain("tag codex/task/setup of subtasks of this plan is on commits that are not on codex/other");
    const progress = JSON.parse(readFileSync(path.join(other, ".codex", "progress.json"), "utf8")) as { tasks: Record<string, { status: string }> };
    expect(progress.tasks["setup"]?.status).not.toBe("completed");
  });
});

/** A second plan in a linked worktree: its own .codex/, the same lead binary. */
class RunRepoIn {
  constructor(readonly root: string) {}

  async init(subtasks: { id: string; command: string[] }[] | undefined, config: Record<string, unknown>): Promise<void> {
    const dir = path.join(this.root, ".codex");
    if (!existsSync(path.join(dir, "config.json"))) {
      mkdirSync(dir, { recursive: true });
      const init = await this.lead(["init"]);
      expect(init.code, init.stderr).toBe(0);
    }
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...FAST_CONFIG, ...config }));
    if (subtasks) {
      const plan = { features: [{ id: "f", feature: "second plan", subtasks: subtasks.map((s) => ({ name: `subtask ${s.id}`, ...s })) }] };
      writeFileSync(path.join(dir, "features.json"), JSON.stringify(plan));
    }
  }

  async lead(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const result = runLead(this.root, args);
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }
}

// The git module on real temp repositories: refs, CAS, tags, trailers, merge-tree, worktrees under concurrency.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  GitError,
  changedFiles,
  commitAll,
  commitTree,
  commitsWithTrailer,
  createTag,
  currentBranch,
  deleteBranch,
  ensureBranch,
  gitCommonDir,
  gitRoot,
  headOf,
  isAncestor,
  listBranches,
  listTags,
  mergeOnto,
  readTrailers,
  revParse,
  statusCount,
  unmergedCommits,
  updateRefCas,
  withTrailers,
  worktreeAdd,
  worktreeHead,
  worktreeList,
  worktreePrune,
  worktreeRemove,
} from "../src/git/index.js";
import { distDir, git, tempDir, tempRepo } from "./helpers/temp.js";

const execFileAsync = promisify(execFile);

/** A commit on a new branch `branch` off `from` that writes `files`, made with plain git; returns its sha. */
function commitOnBranch(repo: string, branch: string, from: string, files: Record<string, string>, message = branch): string {
  git(repo, ["switch", "-q", "-c", branch, from]);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(repo, file), text);
  git(repo, ["add", "-A"]);
  git(repo, ["commit", "-q", "-m", message]);
  const sha = git(repo, ["rev-parse", "HEAD"]);
  git(repo, ["switch", "-q", "main"]);
  return sha;
}

describe("repository questions", () => {
  it("find the root, resolve names and branches", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    mkdirSync(path.join(repo, "sub"));
    expect(await gitRoot(path.join(repo, "sub"))).toBe(repo);
    expect(await gitCommonDir(repo)).toBe(path.join(repo, ".git"));
    expect(await revParse(repo, "main")).toBe(main);
    expect(await revParse(repo, "refs/heads/nope")).toBeNull();
    expect(await headOf(repo, "main")).toBe(main);
    expect(await currentBranch(repo)).toBe("main");
    git(repo, ["switch", "-q", "--detach", "HEAD"]);
    expect(await currentBranch(repo)).toBeNull();
  });

  it("fail with GitError carrying argv, cwd, exit code and stderr", async () => {
    const repo = tempRepo();
    const error = await headOf(repo, "no-such-ref").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    const gitError = error as GitError;
    expect(gitError.code).toBe("E_GIT");
    expect(gitError.cwd).toBe(repo);
    expect(gitError.gitExitCode).toBe(128);
    expect(gitError.argv).toEqual(["-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.quotePath=false", "rev-parse", "--verify", "--end-of-options", "no-such-ref^{commit}"]);
    expect(gitError.stderrTail).toContain("fatal: Needed a single revision");
    expect(gitError.message).toBe(
      `git -c gc.auto=0 -c maintenance.auto=false -c core.quotePath=false rev-parse --verify --end-of-options no-such-ref^{commit} failed in ${repo} (exit code 128): fatal: Needed a single revision`,
    );
    await expect(gitRoot(tempDir())).rejects.toBeInstanceOf(GitError);
    await expect(revParse(repo, "--all")).rejects.toBeInstanceOf(RangeError);
  });

  it("answer ancestry, unmerged counts and changed files", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const feature = commitOnBranch(repo, "feature", "main", { "a.txt": "a\n", "b.txt": "b\n" });
    expect(await isAncestor(repo, main, feature)).toBe(true);
    expect(await isAncestor(repo, feature, main)).toBe(false);
    expect(await unmergedCommits(repo, "feature", "main")).toBe(1);
    expect(await unmergedCommits(repo, "main", "feature")).toBe(0);
    expect(await changedFiles(repo, feature)).toEqual(["a.txt", "b.txt"]);
    expect(await changedFiles(repo, main)).toEqual(["README.md"]);
  });
});

describe("branches and refs", () => {
  it("ensureBranch creates a missing branch and never moves an existing one", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    expect(await ensureBranch(repo, "codex/integration", "main")).toBe("created");
    const later = commitOnBranch(repo, "later", "main", { "x.txt": "x\n" });
    expect(await ensureBranch(repo, "codex/integration", later)).toBe("exists");
    expect(await revParse(repo, "refs/heads/codex/integration")).toBe(main);
  });

  it("updateRefCas moves a ref only from the expected value", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const one = commitOnBranch(repo, "one", "main", { "1.txt": "1\n" });
    const two = commitOnBranch(repo, "two", "main", { "2.txt": "2\n" });
    const ref = "refs/heads/codex/integration";
    expect(await updateRefCas(repo, ref, main, null)).toBe(true);
    expect(await updateRefCas(repo, ref, one, null)).toBe(false); // must not exist yet: it does
    expect(await updateRefCas(repo, ref, one, main)).toBe(true);
    expect(await updateRefCas(repo, ref, two, main)).toBe(false); // stale expected value
    expect(await revParse(repo, ref)).toBe(one);
    await expect(updateRefCas(repo, "codex/integration", two, one)).rejects.toBeInstanceOf(RangeError);
  });

  it("updateRefCas lets exactly one of 8 concurrent writers win", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const candidates = Array.from({ length: 8 }, (_, i) => commitOnBranch(repo, `c${i}`, "main", { [`${i}.txt`]: `${i}\n` }));
    const results = await Promise.all(candidates.map((sha) => updateRefCas(repo, "refs/heads/main", sha, main)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await revParse(repo, "refs/heads/main")).toBe(candidates[results.indexOf(true)]);
  });

  it("createTag has a single winner, and listTags maps tags to commits", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const candidates = Array.from({ length: 8 }, (_, i) => commitOnBranch(repo, `c${i}`, "main", { [`${i}.txt`]: `${i}\n` }));
    const results = await Promise.all(candidates.map((sha) => createTag(repo, "codex/task-a", sha)));
    expect(results.filter((r) => r === "created")).toHaveLength(1);
    expect(results.filter((r) => r === "exists")).toHaveLength(7);
    const winner = candidates[results.indexOf("created")] ?? "";
    expect(await createTag(repo, "codex/nested/task-b", main, { message: "annotated" })).toBe("created");
    expect(await createTag(repo, "other", main)).toBe("created");
    const tags = await listTags(repo, "codex/*");
    expect([...tags.entries()].sort()).toEqual([
      ["codex/nested/task-b", main],
      ["codex/task-a", winner],
    ]);
    expect((await listTags(repo, "none/*")).size).toBe(0);
  });

  it("listBranches, deleteBranch keeps unmerged work unless forced", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const work = commitOnBranch(repo, "codex/w/1", "main", { "w.txt": "w\n" });
    git(repo, ["branch", "codex/done", "main"]);
    expect([...(await listBranches(repo, "codex/*")).entries()].sort()).toEqual([
      ["codex/done", main],
      ["codex/w/1", work],
    ]);
    expect(await deleteBranch(repo, "codex/w/1", { mergedInto: "main" })).toBe("unmerged");
    expect(await deleteBranch(repo, "codex/w/1")).toBe("unmerged");
    expect(await deleteBranch(repo, "codex/done", { mergedInto: "main" })).toBe("deleted");
    expect(await deleteBranch(repo, "codex/done")).toBe("missing");
    expect(await deleteBranch(repo, "codex/w/1", { force: true })).toBe("deleted");
    expect((await listBranches(repo, "codex/*")).size).toBe(0);
  });
});

describe("commits and trailers", () => {
  it("commitAll commits everything with trailers that read back", async () => {
    const repo = tempRepo();
    writeFileSync(path.join(repo, "new.txt"), "new\n");
    writeFileSync(path.join(repo, "README.md"), "changed\n");
    expect(await statusCount(repo)).toEqual({ uncommitted: 2 }); // the empty .codex/ folder is not listed
    const trailers = { Task: "auth-model", Attempt: "2", Worker: "w-1" };
    const sha = await commitAll(repo, { message: "auth-model: Create User model", trailers, allowEmpty: true });
    expect(sha).toBe(git(repo, ["rev-parse", "HEAD"]));
    expect(await statusCount(repo)).toEqual({ uncommitted: 0 });
    expect(await readTrailers(repo, sha)).toEqual(trailers);
    expect(git(repo, ["log", "-1", "--format=%B", sha])).toBe("auth-model: Create User model\n\nTask: auth-model\nAttempt: 2\nWorker: w-1");
    expect(await changedFiles(repo, sha)).toEqual(["README.md", "new.txt"]);

    const empty = await commitAll(repo, { message: "auth-login: nothing to do", trailers: { Task: "auth-login" }, allowEmpty: true });
    expect(await changedFiles(repo, empty)).toEqual([]);
    expect(await commitsWithTrailer(repo, "main", "Task")).toEqual([
      { sha: empty, value: "auth-login", subject: "auth-login: nothing to do" },
      { sha, value: "auth-model", subject: "auth-model: Create User model" },
    ]);
    expect(await readTrailers(repo, git(repo, ["rev-parse", "HEAD~2"]))).toEqual({});
  });

  it("add trailers to a message that already has some, and keep non-ASCII names and subjects intact", async () => {
    const repo = tempRepo();
    writeFileSync(path.join(repo, "résumé ü.txt"), "x\n");
    const sha = await commitAll(repo, { message: "täsk-1: Grüße\n\nbody\n\nTask: täsk-1", trailers: { Attempt: "3" } });
    expect(await readTrailers(repo, sha)).toEqual({ Task: "täsk-1", Attempt: "3" });
    expect(await changedFiles(repo, sha)).toEqual(["résumé ü.txt"]);
    expect(await commitsWithTrailer(repo, "HEAD", "Task")).toEqual([{ sha, value: "täsk-1", subject: "täsk-1: Grüße" }]);
    expect(await withTrailers(repo, "subject: with colon", { Task: "t" })).toBe("subject: with colon\n\nTask: t");
  });

  it("commitAll without allowEmpty fails on a clean tree, and sets the author when asked", async () => {
    const repo = tempRepo();
    await expect(commitAll(repo, { message: "nothing", allowEmpty: false })).rejects.toBeInstanceOf(GitError);
    writeFileSync(path.join(repo, "a.txt"), "a\n");
    const sha = await commitAll(repo, { message: "by someone", author: { name: "Agent Smith", email: "agent@example.com", date: "2020-01-02T03:04:05Z" } });
    expect(git(repo, ["log", "-1", "--format=%an|%ae|%aI", sha])).toBe("Agent Smith|agent@example.com|2020-01-02T03:04:05+00:00");
    await expect(commitAll(repo, { message: "x", trailers: { "Bad Key": "v" } })).rejects.toBeInstanceOf(RangeError);
  });
});

describe("mergeOnto and commitTree", () => {
  it("merges a clean change, commits it with the worker's author, and moves the branch by CAS", async () => {
    const repo = tempRepo();
    const base = git(repo, ["rev-parse", "HEAD"]);
    git(repo, ["-c", "user.name=Worker One", "-c", "user.email=w1@example.com", "switch", "-q", "-c", "w1", base]);
    writeFileSync(path.join(repo, "one.txt"), "one\n");
    const worker = await commitAll(repo, {
      message: "task-1: one",
      trailers: { Task: "task-1" },
      author: { name: "Worker One", email: "w1@example.com", date: "2021-05-06T07:08:09Z" },
    });
    git(repo, ["switch", "-q", "main"]);
    const landed = commitOnBranch(repo, "other", "main", { "two.txt": "two\n" });
    git(repo, ["update-ref", "refs/heads/main", landed]); // something else landed meanwhile

    const merged = await mergeOnto(repo, { onto: landed, commit: worker });
    if (!merged.ok) throw new Error(`unexpected conflict: ${merged.conflicts.join(", ")}`);
    const integrated = await commitTree(repo, {
      tree: merged.tree,
      parents: [landed, worker],
      message: "task-1: one",
      trailers: { Task: "task-1", Attempt: "1" },
      authorFrom: worker,
    });
    expect(git(repo, ["log", "-1", "--format=%an|%ae|%aI|%P", integrated])).toBe(
      `Worker One|w1@example.com|2021-05-06T07:08:09+00:00|${landed} ${worker}`,
    );
    expect(git(repo, ["ls-tree", "--name-only", integrated])).toBe("README.md\none.txt\ntwo.txt");
    expect(await readTrailers(repo, integrated)).toEqual({ Task: "task-1", Attempt: "1" });
    expect(await updateRefCas(repo, "refs/heads/main", integrated, landed)).toBe(true);
    expect(await updateRefCas(repo, "refs/heads/main", integrated, landed)).toBe(false);
    expect((await commitsWithTrailer(repo, "main", "Task", { firstParent: true })).map((c) => c.sha)).toEqual([integrated]);
    expect((await commitsWithTrailer(repo, "main", "Task")).map((c) => c.sha)).toEqual([integrated, worker]);
    expect(await unmergedCommits(repo, "w1", "main")).toBe(0);
  });

  it("reports the conflicted files", async () => {
    const repo = tempRepo();
    const ours = commitOnBranch(repo, "ours", "main", { "README.md": "ours\n", "same.txt": "same\n" });
    const theirs = commitOnBranch(repo, "theirs", "main", { "README.md": "theirs\n", "same.txt": "same\n", "new.txt": "n\n" });
    expect(await mergeOnto(repo, { onto: ours, commit: theirs })).toEqual({ ok: false, conflicts: ["README.md"] });
  });
});

describe("worktrees", () => {
  it("add, reuse, list and remove", async () => {
    const repo = tempRepo();
    const main = git(repo, ["rev-parse", "HEAD"]);
    const wt = path.join(tempDir(), "w1");
    expect(await worktreeAdd(repo, wt, "codex/w1", "main")).toEqual({ createdBranch: true, reused: false });
    expect(await worktreeAdd(repo, wt, "codex/w1", "main")).toEqual({ createdBranch: false, reused: true });
    expect(await worktreeList(repo)).toEqual([
      { path: repo, head: main, branch: "main", locked: false, prunable: false },
      { path: wt, head: main, branch: "codex/w1", locked: false, prunable: false },
    ]);
    expect(await gitRoot(wt)).toBe(wt);
    expect(await gitCommonDir(wt)).toBe(path.join(repo, ".git"));

    // A commit in a linked worktree is read back from its files (HEAD, commondir, loose ref), as git says.
    writeFileSync(path.join(wt, "in-wt.txt"), "x\n");
    const inWt = await commitAll(wt, { message: "in the worktree" });
    expect(inWt).toBe(git(wt, ["rev-parse", "HEAD"]));
    expect(await worktreeHead(wt)).toBe(inWt);
    git(repo, ["pack-refs", "--all"]); // no loose ref left: git answers
    expect(await worktreeHead(wt)).toBe(inWt);
    git(wt, ["switch", "-q", "--detach", "HEAD~1"]);
    expect(await worktreeHead(wt)).toBe(main);
    git(wt, ["switch", "-q", "codex/w1"]);

    writeFileSync(path.join(wt, "dirty.txt"), "dirty\n");
    await expect(worktreeRemove(repo, wt)).rejects.toBeInstanceOf(GitError);
    expect(await worktreeRemove(repo, wt, { force: true })).toBe(true);
    expect(existsSync(wt)).toBe(false);
    expect(await worktreeRemove(repo, wt)).toBe(false);

    // An existing branch is checked out as it is, not moved to the base.
    const moved = commitOnBranch(repo, "codex/w2", "main", { "w2.txt": "w2\n" });
    const wt2 = path.join(tempDir(), "w2");
    expect(await worktreeAdd(repo, wt2, "codex/w2", "main")).toEqual({ createdBranch: false, reused: false });
    expect(await headOf(wt2, "HEAD")).toBe(moved);

    // A worktree whose folder vanished is pruned.
    const wt3 = path.join(tempDir(), "w3");
    await worktreeAdd(repo, wt3, "codex/w3", "main");
    git(repo, ["worktree", "list"]);
    await import("node:fs/promises").then((fs) => fs.rm(wt3, { recursive: true, force: true }));
    expect((await worktreeList(repo)).find((w) => w.path === wt3)?.prunable).toBe(true);
    await worktreePrune(repo);
    expect((await worktreeList(repo)).map((w) => w.path)).toEqual([repo, wt2]);
    expect(await revParse(repo, "refs/heads/codex/w3")).toBe(main); // the branch stays
  });

  it("8 concurrent adds and removes in one process all succeed", async () => {
    const repo = tempRepo();
    const parent = tempDir();
    const paths = Array.from({ length: 8 }, (_, i) => path.join(parent, `w${i}`));
    const added = await Promise.all(paths.map((p, i) => worktreeAdd(repo, p, `codex/w${i}`, "main")));
    expect(added.every((r) => r.createdBranch)).toBe(true);
    expect((await worktreeList(repo)).map((w) => w.path).sort()).toEqual([repo, ...paths].sort());
    // Each worker commits in its own worktree, in parallel.
    const commits = await Promise.all(
      paths.map(async (p, i) => {
        writeFileSync(path.join(p, `f${i}.txt`), `${i}\n`);
        return commitAll(p, { message: `w${i}`, trailers: { Task: `t${i}` } });
      }),
    );
    expect(new Set(commits).size).toBe(8);
    const removed = await Promise.all(paths.map((p) => worktreeRemove(repo, p)));
    expect(removed).toEqual(Array(8).fill(true));
    expect((await worktreeList(repo)).map((w) => w.path)).toEqual([repo]);
  });

  it("8 processes adding and removing worktrees at once all succeed", async () => {
    const entry = path.join(distDir, "git", "index.js");
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -p .)`);
    const repo = tempRepo();
    const parent = tempDir();
    const script = `
      const git = await import(${JSON.stringify(entry)});
      const [repo, wt, branch] = process.argv.slice(1);
      for (let round = 0; round < 3; round++) {
        await git.worktreeAdd(repo, wt, branch, "main");
        await git.worktreeRemove(repo, wt, { force: true });
      }
      await git.worktreeAdd(repo, wt, branch, "main");
    `;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        execFileAsync(process.execPath, ["--input-type=module", "-e", script, repo, path.join(parent, `p${i}`), `codex/p${i}`]),
      ),
    );
    const list = await worktreeList(repo);
    expect(list.map((w) => w.path).sort()).toEqual([repo, ...Array.from({ length: 8 }, (_, i) => path.join(parent, `p${i}`))].sort());
    expect(list.every((w) => !w.prunable && !w.locked)).toBe(true);
    expect(git(repo, ["fsck", "--no-progress"])).toBe("");
  });
});

// git through the long-lived sh processes (src/git/git-shell.ts): bytes in and out exactly, exit codes, stderr,
// many calls at once, a shell killed mid-call, and no shell keeping a process alive or outliving it.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GitError } from "../src/git/index.js";
import { runGit } from "../src/git/run-git.js";
import { shellQuote } from "../src/git/git-shell.js";
import { distDir, git, tempDir, tempRepo, waitFor } from "./helpers/temp.js";

/** Children of `pid` whose command is `name`, read from /proc. */
function childrenNamed(pid: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid && comm === name) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

const awkward = `it's "quoted" $HOME \`id\` $(id) \\ back\nslash; | & > < * ? ~ # !`;

describe("git through the shell pool", () => {
  it("passes every argument and environment value literally", async () => {
    const repo = tempRepo();
    const value = (await runGit(repo, ["-c", `codex.test=${awkward}`, "config", "--get", "codex.test"])).stdout;
    expect(value).toBe(awkward);
    const ident = (await runGit(repo, ["var", "GIT_AUTHOR_IDENT"], { env: { GIT_AUTHOR_NAME: "O'Brien $(id)", GIT_AUTHOR_EMAIL: "o@example.com" } })).stdout;
    expect(ident).toMatch(/^O'Brien \$\(id\) <o@example\.com> \d+ [+-]\d{4}$/);
    // The variable was set for that call only.
    expect((await runGit(repo, ["var", "GIT_AUTHOR_IDENT"])).stdout).toMatch(/^Test <test@example\.com>/);
  });

  it("feeds input byte for byte, with or without a final newline", async () => {
    const repo = tempRepo();
    for (const input of [awkward, `${awkward}\n`, "", "\n\n", "x".repeat(300_000)]) {
      const ours = (await runGit(repo, ["hash-object", "--stdin"], { input })).stdout;
      const plain = execFileSync("git", ["hash-object", "--stdin"], { cwd: repo, input, encoding: "utf8" }).trim();
      expect(ours).toBe(plain);
    }
  });

  it("returns large and NUL-separated output whole", async () => {
    const repo = tempRepo();
    const big = randomBytes(1_500_000).toString("base64");
    writeFileSync(path.join(repo, "big.txt"), big);
    for (let i = 0; i < 30; i++) writeFileSync(path.join(repo, `f ${i}'.txt`), `${i}\n`);
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-q", "-m", "files"]);
    expect((await runGit(repo, ["show", "HEAD:big.txt"])).stdout).toBe(big);
    const names = (await runGit(repo, ["ls-files", "-z"])).stdout.split("\0").filter(Boolean);
    expect(names).toHaveLength(32);
    expect(names).toContain("f 7'.txt");
  });

  it("reports exit codes and stderr, and answers expected codes", async () => {
    const repo = tempRepo();
    const failure = await runGit(repo, ["rev-parse", "--verify", "no-such-ref"]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitError);
    expect((failure as GitError).gitExitCode).toBe(128);
    expect((failure as GitError).message).toMatch(/no-such-ref|Needed a single revision/);
    const answer = await runGit(repo, ["merge-base", "--is-ancestor", "HEAD", "HEAD"], { okExitCodes: [0, 1] });
    expect(answer.exitCode).toBe(0);
    const missing = await runGit(path.join(repo, "not-there"), ["status"]).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(GitError);
  });

  it("keeps many calls at once apart, each with its own answer", async () => {
    const repos = Array.from({ length: 6 }, () => tempRepo());
    const heads = repos.map((repo) => git(repo, ["rev-parse", "HEAD"]));
    const calls = Array.from({ length: 60 }, (_, i) => ({ i, repo: repos[i % repos.length] as string }));
    const results = await Promise.all(
      calls.map(async ({ i, repo }) => {
        const [head, echoed] = await Promise.all([
          runGit(repo, ["rev-parse", "HEAD"]),
          runGit(repo, ["hash-object", "--stdin"], { input: `call ${i}` }),
        ]);
        return { i, head: head.stdout, echoed: echoed.stdout };
      }),
    );
    for (const { i, head, echoed } of results) {
      expect(head).toBe(heads[i % repos.length]);
      expect(echoed).toBe(execFileSync("git", ["hash-object", "--stdin"], { input: `call ${i}`, encoding: "utf8" }).trim());
    }
    // Never more than a few shells for all of that.
    expect(childrenNamed(process.pid, "sh").length).toBeLessThanOrEqual(4);
  });

  it("fails a call whose shell is killed under it, and the next call gets a new shell", async () => {
    const repo = tempRepo();
    git(repo, ["config", "alias.slow", "!sleep 3"]);
    const inFlight = runGit(repo, ["slow"]).catch((error: unknown) => error);
    const shells = await waitFor("the shell running the slow alias", () => {
      const busy = childrenNamed(process.pid, "sh").filter((pid) => childrenNamed(pid, "git").length > 0);
      return busy.length > 0 ? busy : undefined;
    }, 10_000);
    for (const pid of shells) process.kill(pid, "SIGKILL");
    const outcome = await inFlight;
    expect(outcome).toBeInstanceOf(GitError);
    expect((outcome as GitError).gitExitCode).toBeUndefined();
    expect((await runGit(repo, ["rev-parse", "HEAD"])).stdout).toBe(git(repo, ["rev-parse", "HEAD"]));
  });

  it("outlives a SIGTERM or SIGINT to its process group, so a clean stop can still run git", async () => {
    const repo = tempRepo();
    await runGit(repo, ["rev-parse", "HEAD"]);
    const shells = childrenNamed(process.pid, "sh");
    expect(shells.length).toBeGreaterThan(0);
    for (const pid of shells) {
      process.kill(pid, "SIGTERM");
      process.kill(pid, "SIGINT");
    }
    expect((await runGit(repo, ["rev-parse", "HEAD"])).stdout).toBe(git(repo, ["rev-parse", "HEAD"]));
    for (const pid of shells) expect(alive(pid), `shell ${pid}`).toBe(true);
  });

  it("neither keeps its process alive when idle nor outlives it when killed", async () => {
    const repo = tempRepo();
    const runGitJs = path.join(distDir, "git", "run-git.js");
    const script = (then: string) =>
      `import(${JSON.stringify(runGitJs)}).then((m) => m.runGit(${JSON.stringify(repo)}, ["rev-parse", "HEAD"])).then((r) => { console.log(r.stdout); ${then} });`;
    // Idle shells hold no reference: the process ends by itself once its work is done.
    const done = execFileSync(process.execPath, ["-e", script("")], { encoding: "utf8", timeout: 20_000 });
    expect(done.trim()).toBe(git(repo, ["rev-parse", "HEAD"]));

    // Killed with SIGKILL, its shell reads end-of-file and exits too.
    const child = spawn(process.execPath, ["-e", script("setInterval(() => undefined, 1000);")], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      const shells = childrenNamed(child.pid as number, "sh");
      expect(shells.length).toBe(1);
      child.kill("SIGKILL");
      await waitFor("the killed process's shell to exit", () => shells.every((pid) => !alive(pid)), 10_000);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("quotes words so that sh reads them back unchanged", () => {
    const dir = tempDir();
    const words = [awkward, "", "'", "''", "a'b'c", "-n", "\t\n"];
    const printed = execFileSync("sh", ["-c", `printf '%s\\0' ${words.map(shellQuote).join(" ")}`], { cwd: dir, encoding: "utf8" });
    expect(printed.split("\0").slice(0, -1)).toEqual(words);
  });
});

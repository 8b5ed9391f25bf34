// A run in a repository (and on a machine) where git has no user.name/user.email still commits every subtask.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, leadBin, tempDir } from "./helpers/temp.js";

describe("git identity", () => {
  it("falls back to codex-crew when git has none, so workers and the lead can commit", () => {
    const repo = tempDir();
    const home = tempDir("codex-home-");
    // No global or system config, and a first commit made with an explicit identity only.
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: path.join(home, "none") };
    const run = (args: string[]) => spawnSync("git", args, { cwd: repo, env, encoding: "utf8" });
    run(["init", "-q", "-b", "main"]);
    writeFileSync(path.join(repo, "README.md"), "x\n");
    run(["add", "-A"]);
    run(["-c", "user.name=First", "-c", "user.email=first@example.com", "commit", "-q", "-m", "initial"]);
    expect(run(["config", "--get", "user.email"]).status).toBe(1);
    mkdirSync(path.join(repo, ".codex"));
    writeFileSync(
      path.join(repo, ".codex", "features.json"),
      JSON.stringify({ features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A", command: "echo a > a.txt" }] }] }),
    );
    writeFileSync(path.join(repo, ".codex", "config.json"), JSON.stringify({ workers: 1, heartbeat: "200ms" }));
    const result = spawnSync(process.execPath, [leadBin, "run"], { cwd: repo, env, encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(git(repo, ["log", "-1", "--format=%an <%ae>", "codex/task/a"])).toBe("codex-crew <codex-crew@localhost>");
  });
});

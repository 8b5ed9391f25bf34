// A run in a repository (and on a machine) where git has no user.name/user.email still commits every subtask.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, leadBin, tempDir } from "./helpers/temp.js";

describe("git identity", () => {
  it("falls back to codex-crew when git has none, so workers and the lead (merging) can commit", () => {
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
    // Two subtasks that wait for each other to have started: both run from the same base, so the second to finish
    // is merged by the lead (commit-tree), which needs an identity of its own, not only the workers'.
    const barrier = (id: string) =>
      `touch "$CODEX_ROOT/.codex/started-${id}"; i=0; while [ "$(ls "$CODEX_ROOT/.codex" | grep -c '^started-')" -lt 2 ]; do ` +
      `i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.05; done; echo ${id} > ${id}.txt`;
    writeFileSync(
      path.join(repo, ".codex", "features.json"),
      JSON.stringify({ features: [{ id: "f", feature: "F", subtasks: [{ id: "a", name: "A", command: barrier("a") }, { id: "b", name: "B", command: barrier("b") }] }] }),
    );
    writeFileSync(path.join(repo, ".codex", "config.json"), JSON.stringify({ workers: 2, heartbeat: "200ms" }));
    const result = spawnSync(process.execPath, [leadBin, "run"], { cwd: repo, env, encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const identities = git(repo, ["log", "--format=%an <%ae> / %cn <%ce>", "codex/integration", "^main"]).split("\n");
    expect(identities).toEqual(Array(2).fill("codex-crew <codex-crew@localhost> / codex-crew <codex-crew@localhost>"));
    // One of the two was merged by the lead: its tag is not its worker's own commit.
    const merged = ["a", "b"].filter((id) => git(repo, ["rev-parse", `codex/task/${id}`]) !== git(repo, ["rev-parse", `codex/work/${id}/a1`]));
    expect(merged).toHaveLength(1);
  });
});

// codex-lead rollback on real runs in temp repositories: leaf, refused middle, cascade and redo, conflict, during a run.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, leadBin, tempRepo, waitFor } from "./helpers/temp.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lead(cwd: string, args: string[]): Result {
  const result = spawnSync(process.execPath, [leadBin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", CODEX_DEBUG: undefined },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Sub = { id: string; command: string; deps?: string[] };

/** A temp repo with this plan and a fast config (one worker unless told). */
function repoWith(subtasks: Sub[], workers = 1): string {
  const dir = tempRepo();
  writeFileSync(path.join(dir, ".codex", "features.json"), `${JSON.stringify({ features: [{ id: "f", feature: "F", subtasks: subtasks.map((s) => ({ name: s.id, ...s })) }] }, null, 2)}\n`);
  writeFileSync(path.join(dir, ".codex", "config.json"), `${JSON.stringify({ workers, heartbeat: "200ms", stall_timeout: "20s", backoff: { initial: "100ms", max: "1s" }, task_timeout: "1m" }, null, 2)}\n`);
  return dir;
}

function run(dir: string): void {
  const result = lead(dir, ["run"]);
  expect(result.code, result.stderr).toBe(0);
}

function progress(dir: string): { tasks: Record<string, Record<string, any>> } {
  return JSON.parse(readFileSync(path.join(dir, ".codex", "progress.json"), "utf8"));
}

function tagOf(dir: string, task: string): string | null {
  const out = git(dir, ["tag", "--list", `codex/task/${task}`, "--format=%(objectname)"]);
  return out === "" ? null : out;
}

function integrationLog(dir: string): string[] {
  return git(dir, ["log", "--first-parent", "--format=%s", "codex/integration"]).split("\n");
}

function fileOnIntegration(dir: string, file: string): string | null {
  try {
    return git(dir, ["show", `codex/integration:${file}`]);
  } catch {
    return null;
  }
}

/** Everything a refused rollback must leave exactly as it was. */
function snapshot(dir: string): string {
  const events = path.join(dir, ".codex", "events.jsonl");
  return [
    git(dir, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    readFileSync(path.join(dir, ".codex", "progress.json"), "utf8"),
    existsSync(events) ? readFileSync(events, "utf8") : "",
  ].join("\n---\n");
}

function rollbackEvents(dir: string): Array<Record<string, any>> {
  return readFileSync(path.join(dir, ".codex", "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "rollback");
}

const CHAIN: Sub[] = [
  { id: "a", command: "printf 'a\\n' > a.txt" },
  { id: "b", command: "printf 'b\\n' > b.txt", deps: ["a"] },
  { id: "c", command: "printf 'c\\n' > c.txt", deps: ["b"] },
  { id: "d", command: "printf 'd\\n' > d.txt", deps: ["a"] },
];

describe("rollback", () => {
  const dir = repoWith(CHAIN);

  it("reverts a leaf with a new commit, moves its tag aside and puts it back to not_started", () => {
    run(dir);
    const checkpoint = tagOf(dir, "c");
    const before = git(dir, ["rev-parse", "codex/integration"]);
    const result = lead(dir, ["rollback", "c"]);
    expect(result.code, result.stderr).toBe(0);
    const head = git(dir, ["rev-parse", "codex/integration"]);
    expect(git(dir, ["rev-parse", `${head}^`])).toBe(before); // a new commit on top: history is kept
    expect(result.stdout).toBe(`reverted c (checkpoint ${checkpoint!.slice(0, 12)}) with ${head.slice(0, 12)}; tag codex/task/c -> codex/rolled-back/c/1\nreset to not_started: c\n`);
    expect(git(dir, ["log", "-1", "--format=%(trailers:only,unfold)", head])).toBe(`Reverts-Task: c\nReverts-Commit: ${checkpoint}\nRollback-Of: c`);
    expect(git(dir, ["log", "-1", "--format=%(trailers:key=Task)", head])).toBe("");
    expect(fileOnIntegration(dir, "c.txt")).toBeNull();
    expect(fileOnIntegration(dir, "b.txt")).toBe("b");
    expect(tagOf(dir, "c")).toBeNull();
    expect(git(dir, ["rev-parse", "codex/rolled-back/c/1^{commit}"])).toBe(checkpoint);
    const c = progress(dir).tasks["c"]!;
    expect(c["status"]).toBe("not_started");
    expect(c["reason"]).toBe("rolled back by a person");
    expect(c["attempt"]).toBe(1);
    expect(c["commit"]).toBeUndefined();
    expect(c["tag"]).toBeUndefined();
    expect(c["completed_at"]).toBeNull();
    expect(c["attempts"]).toEqual([{ attempt: 1, outcome: "rolled_back", reason: "rolled back by a person", at: c["updated_at"] }]);
    expect(progress(dir).tasks["b"]!["status"]).toBe("completed");
    const events = rollbackEvents(dir);
    expect(events.map((e) => [e.task, e.from, e.to, e.data.commit, e.data.revert, e.data.rolled_back_tag])).toEqual([["c", "completed", "not_started", checkpoint, head, "codex/rolled-back/c/1"]]);
  });

  it("a following run redoes the leaf with a higher attempt number", () => {
    run(dir);
    const tag = tagOf(dir, "c");
    expect(tag).not.toBeNull();
    expect(git(dir, ["log", "-1", "--format=%(trailers:key=Attempt,valueonly)", tag!])).toBe("2");
    expect(progress(dir).tasks["c"]!["status"]).toBe("completed");
    expect(fileOnIntegration(dir, "c.txt")).toBe("c");
    expect(integrationLog(dir).slice(0, 2)).toEqual(["c: c", 'Revert "c: c"']);
  });

  it("refuses a middle subtask without --cascade, names its dependents and changes nothing", () => {
    const before = snapshot(dir);
    const result = lead(dir, ["rollback", "a"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "codex-lead: cannot roll back a alone: 3 subtasks built on it\n  b (completed)\n  c (completed)\n  d (completed)\n" +
        "hint: Run `codex-lead rollback a --cascade` to roll them back too (add --dry-run to see what it would do).\n",
    );
    expect(snapshot(dir)).toBe(before);
  });

  it("--dry-run prints what would be reverted and reset, newest first, and changes nothing", () => {
    const before = snapshot(dir);
    const tags = Object.fromEntries(["a", "b", "c", "d"].map((t) => [t, tagOf(dir, t)!.slice(0, 12)]));
    const result = lead(dir, ["rollback", "a", "--cascade", "--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        `would revert c (checkpoint ${tags["c"]}); tag codex/task/c -> codex/rolled-back/c/2`,
        `would revert d (checkpoint ${tags["d"]}); tag codex/task/d -> codex/rolled-back/d/1`,
        `would revert b (checkpoint ${tags["b"]}); tag codex/task/b -> codex/rolled-back/b/1`,
        `would revert a (checkpoint ${tags["a"]}); tag codex/task/a -> codex/rolled-back/a/1`,
        "would reset to not_started: c, d, b, a",
        "",
      ].join("\n"),
    );
    expect(snapshot(dir)).toBe(before);
  });

  it("--cascade reverts all, newest first, resets all; a following run redoes them with one tag each", () => {
    const head = git(dir, ["rev-parse", "codex/integration"]);
    const result = lead(dir, ["rollback", "a", "--cascade"]);
    expect(result.code, result.stderr).toBe(0);
    expect(git(dir, ["log", "--format=%(trailers:key=Reverts-Task,valueonly)", `${head}..codex/integration`]).split("\n").filter(Boolean)).toEqual(["a", "b", "d", "c"]);
    for (const file of ["a.txt", "b.txt", "c.txt", "d.txt"]) expect(fileOnIntegration(dir, file)).toBeNull();
    expect(git(dir, ["tag", "--list", "codex/task/*"])).toBe("");
    expect(git(dir, ["tag", "--list", "codex/rolled-back/*"]).split("\n")).toEqual([
      "codex/rolled-back/a/1",
      "codex/rolled-back/b/1",
      "codex/rolled-back/c/1",
      "codex/rolled-back/c/2",
      "codex/rolled-back/d/1",
    ]);
    const tasks = progress(dir).tasks;
    expect(Object.fromEntries(Object.entries(tasks).map(([id, t]) => [id, [t["status"], t["attempt"]]]))).toEqual({ a: ["not_started", 1], b: ["not_started", 1], c: ["not_started", 2], d: ["not_started", 1] });
    expect(rollbackEvents(dir).slice(1).map((e) => [e.task, e.data.requested, e.data.cascade])).toEqual([["c", "a", true], ["d", "a", true], ["b", "a", true], ["a", "a", true]]);

    run(dir);
    const after = progress(dir).tasks;
    expect(Object.fromEntries(Object.entries(after).map(([id, t]) => [id, [t["status"], t["attempt"]]]))).toEqual({ a: ["completed", 2], b: ["completed", 2], c: ["completed", 3], d: ["completed", 2] });
    expect(git(dir, ["tag", "--list", "codex/task/*"]).split("\n")).toEqual(["codex/task/a", "codex/task/b", "codex/task/c", "codex/task/d"]);
    const tagged = ["a", "b", "c", "d"].map((t) => tagOf(dir, t)!);
    expect(new Set(tagged).size).toBe(4);
    for (const sha of tagged) expect(spawnSync("git", ["merge-base", "--is-ancestor", sha, "codex/integration"], { cwd: dir }).status).toBe(0);
    for (const file of ["a.txt", "b.txt", "c.txt", "d.txt"]) expect(fileOnIntegration(dir, file)).toBe(file[0]);
  });

  it("unknown task, task not completed, and not a git repo: a clear message, exit 2, nothing changed", () => {
    lead(dir, ["rollback", "c"]);
    const before = snapshot(dir);
    const unknown = lead(dir, ["rollback", "zz"]);
    expect([unknown.code, unknown.stderr.split("\n")[0]]).toEqual([2, 'codex-lead: unknown task "zz"']);
    const notDone = lead(dir, ["rollback", "c"]);
    expect([notDone.code, notDone.stderr]).toEqual([
      2,
      'codex-lead: cannot roll back task "c": it is not_started, it has no checkpoint\nhint: Only completed subtasks can be rolled back; run `codex-lead checkpoints` to list them.\n',
    ]);
    expect(snapshot(dir)).toBe(before);
    const plain = path.dirname(dir);
    const noGit = lead(dir, ["-C", plain, "rollback", "a"]);
    expect(noGit.code).toBe(2);
    expect(noGit.stderr.split("\n")[0]).toBe(`codex-lead: ${plain} is not inside a git repository`);
  });
});

describe("a conflicting rollback", () => {
  it("stops cleanly: branch, tags and progress unchanged, the conflicting file named", () => {
    const dir = repoWith([
      { id: "x", command: "printf 'one\\n' > shared.txt" },
      { id: "y", command: "printf 'two\\n' > shared.txt" },
    ]);
    run(dir);
    expect(integrationLog(dir).slice(0, 2)).toEqual(["y: y", "x: x"]);
    const before = snapshot(dir);
    const result = lead(dir, ["rollback", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n").slice(0, 2)).toEqual([
      "codex-lead: rolling back x conflicts with later work on codex/integration in: shared.txt; nothing was changed",
      "  conflict: shared.txt",
    ]);
    expect(snapshot(dir)).toBe(before);
    const dry = lead(dir, ["rollback", "x", "--dry-run"]);
    expect(dry.code).toBe(2);
    expect(snapshot(dir)).toBe(before);
  });
});

describe("a rollback during a run", () => {
  it("is taken into account by the running lead: the reset task is redone", async () => {
    const dir = repoWith(
      [
        { id: "quick", command: "printf 'q\\n' > quick.txt" },
        { id: "slow", command: "sleep 4 && printf 's\\n' > slow.txt" },
      ],
      2,
    );
    const child = spawn(process.execPath, [leadBin, "run"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitFor("quick completed while slow runs", () => tagOf(dir, "quick") !== null && progress(dir).tasks["slow"]?.["status"] === "in_progress", 20_000);
      const first = tagOf(dir, "quick");
      const result = lead(dir, ["rollback", "quick"]);
      expect(result.code, result.stderr).toBe(0);
      expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), 30_000))])).toBe(0);
      const tasks = progress(dir).tasks;
      expect([tasks["quick"]!["status"], tasks["quick"]!["attempt"], tasks["slow"]!["status"]]).toEqual(["completed", 2, "completed"]);
      const again = tagOf(dir, "quick");
      expect(again).not.toBeNull();
      expect(again).not.toBe(first);
      expect(git(dir, ["rev-parse", "codex/rolled-back/quick/1^{commit}"])).toBe(first);
      expect(fileOnIntegration(dir, "quick.txt")).toBe("q");
      expect(fileOnIntegration(dir, "slow.txt")).toBe("s");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      if (stderr.includes("    at ")) throw new Error(stderr);
    }
  }, 60_000);
});

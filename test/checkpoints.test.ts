// codex-lead checkpoints, show and changes on a real run in a temp repository, and their error paths.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { git, leadBin, tempDir, tempRepo } from "./helpers/temp.js";

function lead(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [leadBin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", CODEX_DEBUG: undefined }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dir = tempRepo();
const subtasks = [
  { id: "a", name: "A file", command: "printf 'a\\n' > a.txt" },
  { id: "b", name: "B file", command: "printf 'b\\n' > b.txt && printf 'more\\n' >> a.txt", deps: ["a"] },
  { id: "c", name: "C file", command: "mkdir -p sub && printf 'c\\n' > sub/c.txt", deps: ["b"] },
];

function snapshot(): string {
  return [git(dir, ["for-each-ref", "--format=%(refname) %(objectname)"]), readFileSync(path.join(dir, ".codex", "progress.json"), "utf8"), readFileSync(path.join(dir, ".codex", "events.jsonl"), "utf8")].join("\n");
}

beforeAll(() => {
  writeFileSync(path.join(dir, ".codex", "features.json"), JSON.stringify({ features: [{ id: "f", feature: "F", subtasks }] }));
  writeFileSync(path.join(dir, ".codex", "config.json"), JSON.stringify({ workers: 1, heartbeat: "200ms" }));
  const run = lead(dir, ["run"]);
  expect(run.code, run.stderr).toBe(0);
}, 60_000);

describe("checkpoints", () => {
  it("--json: one row per completed subtask, in integration order", () => {
    const result = lead(dir, ["checkpoints", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    const progress = JSON.parse(readFileSync(path.join(dir, ".codex", "progress.json"), "utf8"));
    expect(rows.map((row) => row["task"])).toEqual(["a", "b", "c"]);
    const files: Record<string, string[]> = { a: ["a.txt"], b: ["a.txt", "b.txt"], c: ["sub/c.txt"] };
    rows.forEach((row, i) => {
      const task = String(row["task"]);
      const commit = git(dir, ["rev-parse", `codex/task/${task}^{commit}`]);
      expect(row).toEqual({
        task,
        attempt: 1,
        worker: git(dir, ["log", "-1", "--format=%(trailers:key=Worker,valueonly)", commit]),
        commit,
        tag: `codex/task/${task}`,
        when: progress.tasks[task].completed_at,
        files: files[task],
        review: null,
        usage: null,
        order: i + 2,
        status: "completed",
      });
      expect(row["worker"]).toMatch(/^w\d+$/);
    });
  });

  it("prints a table", () => {
    const result = lead(dir, ["checkpoints"]);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TASK +ATTEMPT +WORKER +COMMIT +WHEN +FILES +REVIEW +USAGE$/);
    expect(lines.slice(1).map((line) => line.split(/ +/).filter((_, i) => i !== 2 && i !== 4))).toEqual(
      ["a", "b", "c"].map((t) => [t, "1", git(dir, ["rev-parse", "--short=12", `codex/task/${t}`]), t === "b" ? "2" : "1", "-", "-"]),
    );
  });
});

describe("show and changes", () => {
  it("show <task>: message, trailers and diff of the checkpoint", () => {
    const result = lead(dir, ["show", "b"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("    b: B file\n");
    expect(result.stdout).toMatch(/\n {4}Task: b\n {4}Attempt: 1\n {4}Worker: w\d+\n/);
    expect(result.stdout).toContain("diff --git a/b.txt b/b.txt\nnew file mode 100644\n");
    expect(result.stdout).toContain("+more\n");
  });

  it("changes --since <task>: files changed on the integration branch since that checkpoint", () => {
    expect(lead(dir, ["changes", "--since", "a"]).stdout).toBe("a.txt\nb.txt\nsub/c.txt\n");
    expect(lead(dir, ["changes", "--since", "b"]).stdout).toBe("sub/c.txt\n");
    expect(lead(dir, ["changes", "--since", "b", "--json"]).stdout).toBe('["sub/c.txt"]\n');
    const none = lead(dir, ["changes", "--since", "c"]);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, "", "nothing changed on codex/integration since c\n"]);
  });

  it("error paths: unknown task, task not completed, not a git repo — a clear message, exit 2, nothing changed", () => {
    const before = snapshot();
    for (const args of [["show", "nope"], ["changes", "--since", "nope"]]) {
      const result = lead(dir, args);
      expect([result.code, result.stdout, result.stderr.split("\n")[0]]).toEqual([2, "", 'codex-lead: unknown task "nope"']);
    }
    const plan = JSON.parse(readFileSync(path.join(dir, ".codex", "features.json"), "utf8"));
    plan.features[0].subtasks.push({ id: "later", name: "Later", command: "true", deps: ["c"] });
    writeFileSync(path.join(dir, ".codex", "features.json"), JSON.stringify(plan));
    const notDone = lead(dir, ["show", "later"]);
    expect([notDone.code, notDone.stderr]).toEqual([2, 'codex-lead: task "later" has no checkpoint: it is not_started\nhint: Only completed subtasks have a checkpoint; run `codex-lead checkpoints` to list them.\n']);
    expect(snapshot()).toBe(before);
    const plain = tempDir();
    for (const args of [["checkpoints"], ["show", "a"], ["changes", "--since", "a"], ["gc"], ["rollback", "a"]]) {
      const result = lead(plain, args);
      expect([result.code, result.stderr.split("\n")[0]]).toEqual([2, `codex-lead: ${plain} is not inside a git repository`]);
    }
  });
});

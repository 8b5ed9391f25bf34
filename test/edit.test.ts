// The edit command: the pure three-way merge, the session with injected editor, and real `codex-lead edit` processes.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatConflicts, threeWayMerge } from "../src/ops/edit-merge.js";
import { EditNotAppliedError, editFile } from "../src/ops/edit-session.js";
import { CodexStore } from "../src/store/codex-store.js";
import { leadBin, repoRoot, tempDir, tempRepo } from "./helpers/temp.js";
import { MINIMAL_PLAN } from "./helpers/plans.js";

const fixture = (name: string): string => path.join(repoRoot, "test", "fixtures", name);

describe("threeWayMerge", () => {
  it("takes the side that changed a field", () => {
    const base = { a: 1, b: 2 };
    expect(threeWayMerge(base, { a: 10, b: 2 }, { a: 1, b: 2 })).toEqual({ value: { a: 10, b: 2 }, conflicts: [] });
    expect(threeWayMerge(base, { a: 1, b: 2 }, { a: 1, b: 20 })).toEqual({ value: { a: 1, b: 20 }, conflicts: [] });
  });

  it("keeps both sides' changes to different fields, recursively", () => {
    const base = { tasks: { x: { status: "not_started" }, y: { status: "not_started" } } };
    const mine = { tasks: { x: { status: "blocked", reason: "mine" }, y: { status: "not_started" } } };
    const theirs = { tasks: { x: { status: "not_started" }, y: { status: "completed" } } };
    expect(threeWayMerge(base, mine, theirs)).toEqual({
      value: { tasks: { x: { status: "blocked", reason: "mine" }, y: { status: "completed" } } },
      conflicts: [],
    });
  });

  it("accepts the same change made on both sides", () => {
    expect(threeWayMerge({ a: 1 }, { a: 2 }, { a: 2 })).toEqual({ value: { a: 2 }, conflicts: [] });
  });

  it("reports a field both sides changed differently, with its path and the three values", () => {
    const result = threeWayMerge({ t: { s: "a", n: 1 } }, { t: { s: "b", n: 1 } }, { t: { s: "c", n: 2 } });
    expect(result.conflicts).toEqual([{ path: "t.s", base: "a", mine: "b", theirs: "c" }]);
    expect(formatConflicts(result.conflicts)).toEqual(['t.s: was "a"; your edit: "b"; on disk now: "c"']);
  });

  it("handles added and removed keys", () => {
    expect(threeWayMerge({ a: 1, b: 2 }, { a: 1 }, { a: 1, b: 2, c: 3 })).toEqual({ value: { a: 1, c: 3 }, conflicts: [] });
    // Both added the same key with different values: a conflict, never a guess.
    expect(threeWayMerge({}, { k: 1 }, { k: 2 }).conflicts).toEqual([{ path: "k", base: undefined, mine: 1, theirs: 2 }]);
    // Deleted on one side, changed on the other: a conflict.
    expect(threeWayMerge({ k: 1 }, {}, { k: 2 }).conflicts).toEqual([{ path: "k", base: 1, mine: undefined, theirs: 2 }]);
    expect(formatConflicts([{ path: "k", base: 1, mine: undefined, theirs: 2 }])).toEqual(["k: was 1; your edit: (absent); on disk now: 2"]);
  });

  it("merges arrays of objects with ids item by item, keeping order and both sides' additions", () => {
    const base = { subtasks: [{ id: "a", name: "A" }, { id: "b", name: "B" }] };
    const mine = { subtasks: [{ id: "a", name: "A2" }, { id: "b", name: "B" }, { id: "m", name: "M" }] };
    const theirs = { subtasks: [{ id: "a", name: "A" }, { id: "b", name: "B3" }, { id: "t", name: "T" }] };
    expect(threeWayMerge(base, mine, theirs)).toEqual({
      value: {
        subtasks: [
          { id: "a", name: "A2" },
          { id: "b", name: "B3" },
          { id: "t", name: "T" },
          { id: "m", name: "M" },
        ],
      },
      conflicts: [],
    });
  });

  it("inserts an addition after the item it follows, and applies removals", () => {
    const base = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const mine = [{ id: "a" }, { id: "new" }, { id: "b" }, { id: "c" }];
    const theirs = [{ id: "a" }, { id: "c" }];
    expect(threeWayMerge(base, mine, theirs)).toEqual({ value: [{ id: "a" }, { id: "new" }, { id: "c" }], conflicts: [] });
  });

  it("takes a reordering from the side that reordered", () => {
    const base = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const mine = [{ id: "c" }, { id: "a" }, { id: "b" }];
    const theirs = [{ id: "a", x: 1 }, { id: "b" }, { id: "c" }];
    expect(threeWayMerge(base, mine, theirs)).toEqual({ value: [{ id: "c" }, { id: "a", x: 1 }, { id: "b" }], conflicts: [] });
  });

  it("reports two different reorderings as a conflict on the order", () => {
    const base = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const result = threeWayMerge({ l: base }, { l: [{ id: "c" }, { id: "a" }, { id: "b" }] }, { l: [{ id: "b" }, { id: "a" }, { id: "c" }] });
    expect(result.conflicts).toEqual([{ path: "l (order)", base: ["a", "b", "c"], mine: ["c", "a", "b"], theirs: ["b", "a", "c"] }]);
  });

  it("names items by id in conflict paths", () => {
    const base = { features: [{ id: "auth", subtasks: [{ id: "s1", name: "x" }] }] };
    const mine = { features: [{ id: "auth", subtasks: [{ id: "s1", name: "y" }] }] };
    const theirs = { features: [{ id: "auth", subtasks: [{ id: "s1", name: "z" }] }] };
    expect(threeWayMerge(base, mine, theirs).conflicts.map((c) => c.path)).toEqual(["features[id=auth].subtasks[id=s1].name"]);
  });

  it("reports removed-on-one-side, changed-on-the-other items of id arrays", () => {
    const base = [{ id: "a", n: 1 }];
    expect(threeWayMerge(base, [], [{ id: "a", n: 2 }]).conflicts).toEqual([{ path: "(top level)[id=a]", base: { id: "a", n: 1 }, mine: undefined, theirs: { id: "a", n: 2 } }]);
    expect(threeWayMerge(base, [], [{ id: "a", n: 1 }])).toEqual({ value: [], conflicts: [] });
  });

  it("treats other arrays as whole values", () => {
    expect(threeWayMerge({ deps: ["a"] }, { deps: ["a", "b"] }, { deps: ["a"] })).toEqual({ value: { deps: ["a", "b"] }, conflicts: [] });
    expect(threeWayMerge({ deps: ["a"] }, { deps: ["a", "b"] }, { deps: ["a", "c"] }).conflicts).toEqual([
      { path: "deps", base: ["a"], mine: ["a", "b"], theirs: ["a", "c"] },
    ]);
    // Duplicate ids: not mergeable by id.
    expect(threeWayMerge([{ id: 1 }], [{ id: 1 }, { id: 1 }], [{ id: 2 }]).conflicts).toHaveLength(1);
  });

  it("treats a type change as a whole-value change", () => {
    expect(threeWayMerge({ a: { x: 1 } }, { a: "s" }, { a: { x: 1 } })).toEqual({ value: { a: "s" }, conflicts: [] });
    expect(threeWayMerge({ a: { x: 1 } }, { a: "s" }, { a: { x: 2 } }).conflicts.map((c) => c.path)).toEqual(["a"]);
    expect(threeWayMerge({ a: null }, { a: { x: 1 } }, { a: { y: 2 } }).conflicts.map((c) => c.path)).toEqual(["a"]);
  });

  it("ignores key order and keeps unchanged values", () => {
    expect(threeWayMerge({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }, { a: 1, b: { c: 2, d: 3 } }).conflicts).toEqual([]);
    expect(threeWayMerge(1, 1, 1)).toEqual({ value: 1, conflicts: [] });
  });
});


function setupRepo(): string {
  const dir = tempRepo();
  writeFileSync(path.join(dir, ".codex", "features.json"), `${JSON.stringify(MINIMAL_PLAN, null, 2)}\n`);
  const progress = { tasks: { "auth-model": { status: "not_started" }, "auth-login": { status: "not_started" } }, workers: {} };
  writeFileSync(path.join(dir, ".codex", "progress.json"), `${JSON.stringify(progress, null, 2)}\n`);
  return dir;
}

function lead(cwd: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [leadBin, ...args], {
    cwd,
    encoding: "utf8",
    // Kept copies of the edit land in a temp dir that is removed with the test's other files.
    env: { ...process.env, NO_COLOR: "", VISUAL: "", TMPDIR: tempDir("codex-edit-tmp-"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const editor = (name: string): string => `${process.execPath} ${fixture(name)}`;
const readJson = (file: string): any => JSON.parse(readFileSync(file, "utf8"));
const keptCopy = (stderr: string): string => /kept at (\S+)/.exec(stderr)?.[1] ?? "";

describe("codex-lead edit (real processes)", () => {
  beforeAll(() => {
    expect(existsSync(path.join(repoRoot, "dist", "cli", "lead-main.js"))).toBe(true);
  });

  it("keeps both the person's change and a different field changed meanwhile by another process", () => {
    const dir = setupRepo();
    const progress = path.join(dir, ".codex", "progress.json");
    const result = lead(dir, ["edit", "progress"], {
      EDITOR: editor("editor-set.mjs"),
      CODEX_TEST_MEANWHILE: JSON.stringify([process.execPath, leadBin, "block", "auth-login", "--reason", "meanwhile"]),
      CODEX_TEST_SET: JSON.stringify([{ path: ["tasks", "auth-model", "detail"], value: "edited by a person" }]),
    });
    expect(result.stderr).not.toContain("    at ");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("saved .codex/progress.json, with your changes on top of those made meanwhile");
    const after = readJson(progress);
    expect(after.tasks["auth-model"]).toEqual({ status: "not_started", detail: "edited by a person" });
    expect(after.tasks["auth-login"].status).toBe("blocked");
    expect(after.tasks["auth-login"].reason).toBe("meanwhile");
    const events = readFileSync(path.join(dir, ".codex", "events.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(["task.status", "file.edited"]);
  });

  it("shows a conflict when both sides changed the same field, writes nothing and keeps the copy", () => {
    const dir = setupRepo();
    const progress = path.join(dir, ".codex", "progress.json");
    const snapshot = path.join(dir, "after-meanwhile.json");
    const result = lead(dir, ["edit", "progress"], {
      EDITOR: editor("editor-set.mjs"),
      CODEX_TEST_MEANWHILE: JSON.stringify([process.execPath, leadBin, "block", "auth-login"]),
      CODEX_TEST_SNAPSHOT: `${progress}=>${snapshot}`,
      CODEX_TEST_SET: JSON.stringify([{ path: ["tasks", "auth-login", "status"], value: "failed" }]),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("codex-lead: your edit of .codex/progress.json conflicts with changes made meanwhile; nothing was written");
    expect(result.stderr).toContain('  tasks.auth-login.status: was "not_started"; your edit: "failed"; on disk now: "blocked"');
    expect(result.stderr).toContain("hint: Run `codex-lead edit progress` again");
    expect(result.stderr).not.toContain("    at ");
    expect(readFileSync(progress, "utf8")).toBe(readFileSync(snapshot, "utf8"));
    const copy = keptCopy(result.stderr);
    expect(readJson(copy).tasks["auth-login"].status).toBe("failed");
  });

  it("refuses an invalid edit off a terminal: exit 2, line and column, file unchanged, copy kept", () => {
    const dir = setupRepo();
    const progress = path.join(dir, ".codex", "progress.json");
    const before = readFileSync(progress, "utf8");
    const broken = '{\n  "tasks": {\n    "auth-model": { "status": "not_started" }\n    "x": 1\n}\n';
    const result = lead(dir, ["edit", "progress"], { EDITOR: editor("editor-write.mjs"), CODEX_TEST_TEXT: broken });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/codex-lead: your edit of \.codex\/progress\.json is invalid; nothing was written\n  line 4, column 5: /);
    expect(result.stderr).not.toContain("    at ");
    expect(readFileSync(progress, "utf8")).toBe(before);
    expect(readFileSync(keptCopy(result.stderr), "utf8")).toBe(broken);
  });

  it("refuses a schema break with the field named", () => {
    const dir = setupRepo();
    const progress = path.join(dir, ".codex", "progress.json");
    const before = readFileSync(progress, "utf8");
    const result = lead(dir, ["edit", "progress"], {
      EDITOR: editor("editor-set.mjs"),
      CODEX_TEST_SET: JSON.stringify([{ path: ["tasks", "auth-model", "status"], value: "done" }]),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("tasks.auth-model.status:");
    expect(readFileSync(progress, "utf8")).toBe(before);
  });

  it("runs the plan checks on an edit of features", () => {
    const dir = setupRepo();
    const features = path.join(dir, ".codex", "features.json");
    const before = readFileSync(features, "utf8");
    const result = lead(dir, ["edit", "features"], {
      EDITOR: editor("editor-set.mjs"),
      CODEX_TEST_SET: JSON.stringify([{ path: ["features", 0, "subtasks", 0, "deps"], value: ["auth-login"] }]),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("dependency cycle: auth-model -> auth-login -> auth-model");
    expect(readFileSync(features, "utf8")).toBe(before);
  });

  it("merges a features edit with a subtask added meanwhile", () => {
    const dir = setupRepo();
    const features = path.join(dir, ".codex", "features.json");
    const addSubtask = `const fs=require("fs");const f=${JSON.stringify(features)};const v=JSON.parse(fs.readFileSync(f,"utf8"));v.features[0].subtasks.push({id:"auth-logout",name:"Add logout"});fs.writeFileSync(f+".tmp",JSON.stringify(v,null,2));fs.renameSync(f+".tmp",f);`;
    const result = lead(dir, ["edit", "features"], {
      EDITOR: editor("editor-set.mjs"),
      CODEX_TEST_MEANWHILE: JSON.stringify([process.execPath, "-e", addSubtask]),
      CODEX_TEST_SET: JSON.stringify([{ path: ["features", 0, "subtasks", 0, "name"], value: "Create the User model" }]),
    });
    expect(result.stderr).not.toContain("    at ");
    expect(result.code, result.stderr).toBe(0);
    const subtasks = readJson(features).features[0].subtasks;
    expect(subtasks.map((s: { id: string; name: string }) => `${s.id}: ${s.name}`)).toEqual([
      "auth-model: Create the User model",
      "auth-login: Add login endpoint",
      "auth-logout: Add logout",
    ]);
  });

  it("says so when nothing changed", () => {
    const dir = setupRepo();
    const progress = path.join(dir, ".codex", "progress.json");
    const before = readFileSync(progress, "utf8");
    const result = lead(dir, ["edit", "progress"], { EDITOR: editor("editor-exit.mjs") });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("no changes to .codex/progress.json\n");
    expect(readFileSync(progress, "utf8")).toBe(before);
  });

  it("prefers $VISUAL and reports a failing editor without a stack", () => {
    const dir = setupRepo();
    const result = lead(dir, ["edit", "config"], { VISUAL: editor("editor-exit.mjs"), EDITOR: "false", CODEX_TEST_EXIT: "3" });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("exited with code 3; nothing was changed");
    expect(result.stderr).not.toContain("    at ");
  });

  it("refuses an unknown file name with exit 2", () => {
    const dir = setupRepo();
    const result = lead(dir, ["edit", "plan"], { EDITOR: editor("editor-exit.mjs") });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("codex-lead: command-argument value 'plan' is invalid for argument 'file'. Allowed choices are progress, features, config.");
    expect(result.stderr).toContain("hint: run `codex-lead edit --help` for the usage");
  });
});

describe("editFile with an injected editor", () => {
  const kept: string[] = [];
  afterAll(() => {
    for (const copy of kept) rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  it("reopens an invalid edit when the person asks, then applies the fixed one", async () => {
    const dir = setupRepo();
    const store = new CodexStore(dir);
    const texts = ["{ broken", `${JSON.stringify({ tasks: { "auth-model": { status: "blocked", reason: "by hand" } } })}\n`];
    const asked: string[][] = [];
    const outcome = await editFile(store, "progress", {
      openEditor: async (copy) => writeFileSync(copy, texts.shift() ?? ""),
      askReopen: async (problems) => {
        asked.push(problems);
        return true;
      },
    });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.[0]).toMatch(/^line 1, column \d+: /);
    expect(outcome).toEqual({ kind: "applied", file: ".codex/progress.json", merged: false });
    const tasks = (await store.progress.read()).tasks;
    expect(tasks).toEqual({ "auth-model": { status: "blocked", reason: "by hand" } });
  });

  it("abandons when the person says so, keeping the copy", async () => {
    const dir = setupRepo();
    const store = new CodexStore(dir);
    const error = await editFile(store, "config", {
      openEditor: async (copy) => writeFileSync(copy, '{ "workers": "many" }'),
      askReopen: async () => false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EditNotAppliedError);
    const copy = (error as EditNotAppliedError).copy;
    kept.push(copy);
    expect(readFileSync(copy, "utf8")).toBe('{ "workers": "many" }');
    expect((error as EditNotAppliedError).details[0]).toMatch(/^workers: /);
    expect(await store.config.exists()).toBe(false);
  });

  it("fixes a file that is invalid on disk", async () => {
    const dir = setupRepo();
    const store = new CodexStore(dir);
    writeFileSync(store.paths.progress, '{ "tasks": { "auth-model": { "status": "done" } } }\n');
    const notes: string[] = [];
    const outcome = await editFile(store, "progress", {
      openEditor: async (copy) => writeFileSync(copy, '{ "tasks": { "auth-model": { "status": "completed" } } }\n'),
      say: (line) => notes.push(line),
    });
    expect(notes[0]).toMatch(/^note: \.codex\/progress\.json is invalid right now \(tasks\.auth-model\.status: /);
    expect(outcome.kind).toBe("applied");
    expect((await store.progress.read()).tasks["auth-model"]?.status).toBe("completed");
  });
});

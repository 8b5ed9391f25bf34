// The plan checks, loading, graph views and ready order: every error kind with its exact place and message.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidFileError, PlanError } from "../src/errors.js";
import { checkPlan, formatPlanProblems } from "../src/plan/check-plan.js";
import { dependentsOf, topoOrder, waves } from "../src/plan/graph.js";
import { loadPlan } from "../src/plan/load-plan.js";
import { buildPlan } from "../src/plan/plan.js";
import { readyTasks } from "../src/plan/ready.js";
import type { FeaturesFile } from "../src/schema/features.js";
import type { ProgressFile } from "../src/schema/progress.js";
import { CodexStore } from "../src/store/codex-store.js";
import { tempRepo } from "./helpers/temp.js";
import { MINIMAL_PLAN } from "./helpers/plans.js";


/** A plan of one feature whose subtasks are given as [id, deps]. */
function planOf(...tasks: Array<[string, string[]?]>): unknown {
  return { features: [{ id: "f", feature: "F", subtasks: tasks.map(([id, deps]) => ({ id, name: id, ...(deps ? { deps } : {}) })) }] };
}

function lines(raw: unknown): string[] {
  return formatPlanProblems(checkPlan(raw));
}

const ADVICE = 'ids name files and git refs, so use letters, digits, "-", "_" and "."';

describe("checkPlan", () => {
  it("accepts the minimal plan of DESIGN.md as is", () => {
    expect(checkPlan(MINIMAL_PLAN)).toEqual([]);
  });

  it("names duplicate subtask ids across features and duplicate feature ids", () => {
    const raw = {
      features: [
        { id: "auth", feature: "A", subtasks: [{ id: "x", name: "X" }] },
        { id: "auth", feature: "B", subtasks: [{ id: "x", name: "X again" }] },
      ],
    };
    expect(checkPlan(raw)).toEqual([
      { place: 'features[1] (id "auth")', message: 'duplicate feature id "auth": features[0] has it too' },
      {
        place: 'features[1].subtasks[0] (id "x")',
        message: 'duplicate subtask id "x": features[0].subtasks[0] has it too; subtask ids must be unique across all features',
      },
    ]);
  });

  it("names unknown deps with a did-you-mean hint, feature ids used as deps, self-deps and repeated deps", () => {
    const raw = {
      features: [
        {
          id: "auth",
          feature: "A",
          subtasks: [
            { id: "auth-model", name: "M" },
            { id: "auth-login", name: "L", deps: ["auth-modl", "auth", "zzz", "auth-login", "auth-model", "auth-model"] },
          ],
        },
      ],
    };
    expect(lines(raw)).toEqual([
      'features[0].subtasks[1].deps[0]: unknown dep "auth-modl" (did you mean "auth-model"?)',
      'features[0].subtasks[1].deps[1]: "auth" is a feature id, not a subtask id; list the subtasks it needs instead',
      'features[0].subtasks[1].deps[2]: unknown dep "zzz"; deps name subtask ids',
      'features[0].subtasks[1].deps[3]: subtask "auth-login" depends on itself; remove it from its deps',
      'features[0].subtasks[1].deps[5]: dep "auth-model" is listed twice',
    ]);
  });

  it("names a cycle a -> b -> c -> a once, from its first task in plan order", () => {
    expect(lines(planOf(["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["c"]]))).toEqual([
      'features[0].subtasks[0] (id "a"): dependency cycle: a -> b -> c -> a; remove one of these deps',
    ]);
    // Entered from its last task, the same cycle is still named from "a".
    expect(lines(planOf(["c", ["a"]], ["a", ["b"]], ["b", ["c"]]))).toEqual([
      'features[0].subtasks[0] (id "c"): dependency cycle: c -> a -> b -> c; remove one of these deps',
    ]);
  });

  it("names each distinct cycle once", () => {
    expect(lines(planOf(["a", ["b"]], ["b", ["a", "c"]], ["c", ["b"]], ["x", ["y"]], ["y", ["x"]]))).toEqual([
      'features[0].subtasks[0] (id "a"): dependency cycle: a -> b -> a; remove one of these deps',
      'features[0].subtasks[1] (id "b"): dependency cycle: b -> c -> b; remove one of these deps',
      'features[0].subtasks[3] (id "x"): dependency cycle: x -> y -> x; remove one of these deps',
    ]);
  });

  it.each([
    ["a/b", 'contains a path separator "/"'],
    ["a\\b", 'contains a path separator "\\"'],
    ["a..b", 'contains ".."'],
    ["a b", "contains whitespace"],
    ["a\u0001b", "contains a control character"],
    ["-a", 'starts with "-" (it would be read as a command-line option)'],
    ["a.lock", 'ends with ".lock" (git and our lock files reserve it)'],
    [".a", 'starts with "." (hidden file; git refuses it in ref names)'],
    ["a.", 'ends with "." (git refuses it in ref names)'],
    ["a~1", 'contains "~" (git refuses it in ref names)'],
    ["a^1", 'contains "^" (git refuses it in ref names)'],
    ["a:b", 'contains ":" (git refuses it in ref names)'],
    ["a?", 'contains "?" (git refuses it in ref names)'],
    ["a*", 'contains "*" (git refuses it in ref names)'],
    ["a[1", 'contains "[" (git refuses it in ref names)'],
    ["a@{1}", 'contains "@{" (git refuses it in ref names)'],
    ["@", 'is "@" (git refuses it as a ref name)'],
  ])("refuses the unsafe id %j: %s", (id, reason) => {
    expect(lines(planOf([id]))).toEqual([`features[0].subtasks[0].id: subtask id ${JSON.stringify(id)} ${reason}; ${ADVICE}`]);
  });

  it("refuses an empty id once, and unsafe feature ids", () => {
    const raw = { features: [{ id: "a b", feature: "F", subtasks: [{ id: "", name: "x" }] }] };
    expect(lines(raw)).toEqual([
      `features[0].id: feature id "a b" contains whitespace; ${ADVICE}`,
      `features[0].subtasks[0].id: subtask id is empty; ${ADVICE}`,
    ]);
  });

  it("names unknown fields with did-you-mean, and missing fields", () => {
    const raw = {
      features: [{ id: "f", feature: "F", subtasks: [{ id: "a", nmae: "A" }, { id: "b", name: "B", dep: ["a"] }] }],
      overal_progress: "0%",
    };
    expect(lines(raw)).toEqual([
      'features[0].subtasks[0].name: missing required field "name" (expected string)',
      'features[0].subtasks[0].nmae: unknown field "nmae" (did you mean "name"?)',
      'features[0].subtasks[1].dep: unknown field "dep" (did you mean "deps"?)',
      'overal_progress: unknown field "overal_progress" (did you mean "overall_progress"?)',
    ]);
  });

  it("reports every kind of problem in one pass", () => {
    const raw = {
      features: [
        {
          id: "f",
          feature: "F",
          subtasks: [
            { id: "a", name: "A", deps: ["b"], acceptence: "works" },
            { id: "b", name: "B", deps: ["a", "nothing-like-it"] },
            { id: "a", name: "A again" },
            { id: "x/y", name: "XY" },
          ],
        },
      ],
    };
    expect(lines(raw)).toEqual([
      'features[0].subtasks[0].acceptence: unknown field "acceptence" (did you mean "acceptance"?)',
      'features[0].subtasks[2] (id "a"): duplicate subtask id "a": features[0].subtasks[0] has it too; subtask ids must be unique across all features',
      `features[0].subtasks[3].id: subtask id "x/y" contains a path separator "/"; ${ADVICE}`,
      'features[0].subtasks[1].deps[1]: unknown dep "nothing-like-it"; deps name subtask ids',
      'features[0].subtasks[0] (id "a"): dependency cycle: a -> b -> a; remove one of these deps',
    ]);
  });

  it("says what is missing when the file is not a plan at all", () => {
    expect(lines({})).toEqual(['features: missing required field "features" (expected array)']);
    expect(lines([])).toEqual(["(top level): Invalid input: expected object, received array (got [])"]);
  });
});

describe("buildPlan", () => {
  it("copies each subtask, its fields in their order, and leaves the file's subtasks as they were", () => {
    const file: FeaturesFile = {
      features: [{ id: "f", feature: "F", subtasks: [{ name: "B", id: "b", budget: 1 }, { id: "c", deps: ["b"], name: "C" }] }],
    };
    const before = JSON.stringify(file);
    const plan = buildPlan(file);
    expect(plan.tasks.map((task) => Object.keys(task))).toEqual([
      ["name", "id", "budget", "feature", "featureId", "order", "deps"],
      ["id", "deps", "name", "feature", "featureId", "order"],
    ]);
    expect(JSON.stringify(file)).toBe(before);
    expect(plan.tasks[0]).not.toBe(file.features[0]?.subtasks[0]);
    expect(plan.byId.get("c")).toBe(plan.tasks[1]);
  });
});

describe("loadPlan", () => {
  it("returns the tasks in plan order with deps normalized", async () => {
    const store = new CodexStore(tempRepo());
    writeFileSync(store.paths.features, JSON.stringify(MINIMAL_PLAN, null, 2));
    const plan = await loadPlan(store);
    expect(plan.tasks.map((task) => [task.id, task.feature, task.featureId, task.order, task.deps])).toEqual([
      ["auth-model", "User authentication", "auth", 0, []],
      ["auth-login", "User authentication", "auth", 1, ["auth-model"]],
    ]);
    expect(plan.byId.get("auth-login")?.files).toEqual(["api/auth.ts"]);
  });

  it("throws InvalidFileError with line and column for a JSON syntax error", async () => {
    const store = new CodexStore(tempRepo());
    writeFileSync(store.paths.features, '{\n  "features": [\n    { "id": "a" }\n    { "id": "b" }\n  ]\n}\n');
    const error = await loadPlan(store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidFileError);
    expect((error as InvalidFileError).problems).toEqual(["line 4, column 5: Expected ',' or ']' after array element"]);
    expect((error as InvalidFileError).exitCode).toBe(2);
  });

  it("throws PlanError with every problem, exit code 2", async () => {
    const store = new CodexStore(tempRepo());
    writeFileSync(store.paths.features, JSON.stringify(planOf(["a", ["b"]], ["b", ["a"]], ["a"])));
    const error = await loadPlan(store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlanError);
    const planError = error as PlanError;
    expect(planError.message).toBe(".codex/features.json has 2 problems");
    expect(planError.exitCode).toBe(2);
    expect(planError.code).toBe("E_PLAN");
    expect(planError.problems).toEqual([
      'features[0].subtasks[2] (id "a"): duplicate subtask id "a": features[0].subtasks[0] has it too; subtask ids must be unique across all features',
      'features[0].subtasks[0] (id "a"): dependency cycle: a -> b -> a; remove one of these deps',
    ]);
  });

  it("throws E_MISSING_FILE when there is no features.json", async () => {
    const store = new CodexStore(tempRepo());
    await expect(loadPlan(store)).rejects.toMatchObject({ code: "E_MISSING_FILE", message: ".codex/features.json does not exist" });
  });
});

describe("graph", () => {
  const plan = buildPlan(planOf(["d", ["b", "c"]], ["a"], ["b", ["a"]], ["c", ["a"]], ["e"]) as FeaturesFile);

  it("gives topological waves in plan order within each wave", () => {
    expect(waves(plan)).toEqual([["a", "e"], ["b", "c"], ["d"]]);
    expect(topoOrder(plan)).toEqual(["a", "e", "b", "c", "d"]);
  });

  it("gives transitive dependents in plan order", () => {
    expect(dependentsOf(plan, "a")).toEqual(["d", "b", "c"]);
    expect(dependentsOf(plan, "c")).toEqual(["d"]);
    expect(dependentsOf(plan, "d")).toEqual([]);
  });

  it("puts each task one wave after its latest dep, whatever the plan order; repeated deps count once", () => {
    const forward = buildPlan(planOf(["z", ["y", "y"]], ["y", ["x"]], ["w", ["x", "z"]], ["x"]) as FeaturesFile);
    expect(waves(forward)).toEqual([["x"], ["y"], ["z"], ["w"]]);
    expect(topoOrder(forward)).toEqual(["x", "y", "z", "w"]);
    expect(dependentsOf(forward, "y")).toEqual(["z", "w"]);
  });

  it("leaves out the tasks on or behind a cycle", () => {
    const cyclic = buildPlan(planOf(["a", ["b"]], ["b", ["a"]], ["c", ["a"]], ["d"], ["e", ["d"]]) as FeaturesFile);
    expect(waves(cyclic)).toEqual([["d"], ["e"]]);
  });

  it("handles a 10,000-task chain without deep recursion", () => {
    const chain = Array.from({ length: 10_000 }, (_, i): [string, string[]] => [`t${i}`, i === 0 ? [] : [`t${i - 1}`]]);
    const long = buildPlan(planOf(...chain) as FeaturesFile);
    expect(waves(long)).toHaveLength(10_000);
    expect(checkPlan(planOf(...chain))).toEqual([]);
  });
});

describe("readyTasks", () => {
  const plan = buildPlan({
    features: [
      { id: "f1", feature: "One", subtasks: [{ id: "z", name: "Z" }, { id: "y", name: "Y", deps: ["z"] }] },
      { id: "f2", feature: "Two", subtasks: [{ id: "b", name: "B" }, { id: "a", name: "A", deps: ["b"] }, { id: "c", name: "C" }] },
    ],
  });
  const now = new Date("2026-01-01T12:00:00Z");

  it("lists not_started tasks whose deps are completed, in plan order (features, then subtasks)", () => {
    const progress: ProgressFile = { tasks: { z: { status: "completed" }, b: { status: "in_progress" } } };
    expect(readyTasks(plan, progress, now)).toEqual(["y", "c"]);
    expect(readyTasks(plan, { tasks: {} }, now)).toEqual(["z", "b", "c"]);
  });

  it("waits out the retry backoff and skips blocked, failed and running tasks", () => {
    const progress: ProgressFile = {
      tasks: {
        z: { status: "not_started", not_before: "2026-01-01T12:00:01Z" },
        b: { status: "not_started", not_before: "2026-01-01T12:00:00Z" },
        c: { status: "blocked", reason: "waiting for a person" },
      },
    };
    expect(readyTasks(plan, progress, now)).toEqual(["b"]);
    expect(readyTasks(plan, progress, new Date("2026-01-01T12:00:01Z"))).toEqual(["z", "b"]);
    expect(readyTasks(plan, { tasks: { z: { status: "failed" }, b: { status: "completed" } } }, now)).toEqual(["a", "c"]);
  });
});

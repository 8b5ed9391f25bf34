// codex-lead plan against the fake model server (real `openai` SDK, real CLI process): a valid plan written with
// budgets by effort, repairs of a cycle and an unknown dep, the refusal after the repairs, dry runs, --append and
// --replace, and the budget gate.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { splitBudget } from "../src/planner/split-budget.js";
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from "./helpers/fake-openai-server.js";
import { runLeadAsync } from "./helpers/lead-cli.js";
import { repoRoot, tempRepo, waitFor } from "./helpers/temp.js";

interface Sub {
  id: string;
  deps?: string[];
  effort?: number;
}

/** The model's answer: features of subtasks with every field the schema requires. */
function answer(...features: { id: string; subtasks: Sub[] }[]): FakeReply {
  const body = {
    features: features.map((feature) => ({
      id: feature.id,
      feature: `Feature ${feature.id}`,
      description: "",
      subtasks: feature.subtasks.map((task) => ({
        id: task.id,
        name: `Do ${task.id}`,
        description: `Implement ${task.id}.`,
        deps: task.deps ?? [],
        acceptance: [`${task.id} works`],
        files: [`src/${task.id}.ts`],
        agent: "openai",
        effort: task.effort ?? 2,
      })),
    })),
  };
  return { text: JSON.stringify(body), usage: { input_tokens: 3000, output_tokens: 1000 } };
}

const GOOD = answer({ id: "auth", subtasks: [{ id: "model", effort: 1 }, { id: "login", deps: ["model"], effort: 4 }] }, { id: "docs", subtasks: [{ id: "guide", effort: 3 }] });

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function repoWith(replies: FakeReply[], features?: unknown): Promise<{ repo: string; plan: (...args: string[]) => ReturnType<typeof runLeadAsync> }> {
  server = await startFakeOpenAI({ replies });
  const repo = tempRepo();
  const init = await runLeadAsync(repo, ["init"]);
  expect(init.status, init.stderr).toBe(0);
  const config = { agents: { planner: { type: "openai", base_url: server.baseURL, api: "chat", model: "m1", max_retries: 0 } } };
  writeFileSync(path.join(repo, ".codex", "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  if (features) writeFileSync(path.join(repo, ".codex", "features.json"), `${JSON.stringify(features, null, 2)}\n`);
  return { repo, plan: (...args) => runLeadAsync(repo, ["plan", ...args, "--agent", "planner"], { OPENAI_API_KEY: "test-key" }) };
}

const featuresText = (repo: string): string => readFileSync(path.join(repo, ".codex", "features.json"), "utf8");
const features = (repo: string) => JSON.parse(featuresText(repo)) as { features: { id: string; subtasks: { id: string; budget?: number; effort?: number; deps?: string[] }[] }[] };
const userPrompt = (index: number): string => JSON.stringify(server?.requests[index]?.body.messages);

describe("splitBudget", () => {
  it("gives half evenly as a floor and half by effort, adding up to the budget", () => {
    const budgets = splitBudget(100, [{ id: "a", effort: 2 }, { id: "b", effort: 4 }, { id: "c", effort: 1 }, { id: "d", effort: 3 }]);
    // floor ⌊100/8⌋ = 12 each; 52 by effort 2:4:1:3 → 10, 20, 5, 15; the 2 rounding left to the efforts 4 and 3.
    expect(Object.fromEntries(budgets)).toEqual({ a: 22, b: 33, c: 17, d: 28 });
    expect([...budgets.values()].reduce((x, y) => x + y, 0)).toBe(100);
  });
});

describe("codex-lead plan", () => {
  it("plans a goal into a valid plan, writes it with budgets by effort, and records the planner's usage", async () => {
    const { repo, plan } = await repoWith([GOOD]);
    const result = await plan("Add login", "--budget", "60", "--constraints", "TypeScript only");
    expect(result.status, result.stderr).toBe(0);
    const written = features(repo);
    expect(written.features.map((f) => f.id)).toEqual(["auth", "docs"]);
    expect(written.features.flatMap((f) => f.subtasks.map((t) => [t.id, t.effort, t.budget]))).toEqual([
      ["model", 1, 13],
      ["login", 4, 26],
      ["guide", 3, 21],
    ]);
    expect(result.stderr).toContain("wrote 3 subtasks to .codex/features.json");
    expect(userPrompt(0)).toContain("Add login");
    expect(userPrompt(0)).toContain("TypeScript only");
    expect(server?.requests[0]?.body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "plan" } });

    const validate = await runLeadAsync(repo, ["validate"]);
    expect(validate.status, validate.stderr).toBe(0);
    const events = readFileSync(path.join(repo, ".codex", "events.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { type: string; data: { usage: { credits: number; calls: number } } });
    const generated = events.filter((e) => e.type === "plan.generated");
    expect(generated).toHaveLength(1);
    expect(generated[0]?.data.usage).toMatchObject({ input_tokens: 3000, output_tokens: 1000, calls: 1, credits: 4 });
    const status = await runLeadAsync(repo, ["status"]);
    expect(status.stdout).toContain("0 credits of a 60-credit budget; the planner spent 4");
  });

  it("sends a cycle and an unknown dep back to the model and writes the repaired plan", async () => {
    const broken = answer({ id: "core", subtasks: [{ id: "a", deps: ["b"] }, { id: "b", deps: ["a", "ghost"] }] });
    const { repo, plan } = await repoWith([broken, GOOD]);
    const result = await plan("Build it");
    expect(result.status, result.stderr).toBe(0);
    expect(server?.requests).toHaveLength(2);
    const repairPrompt = userPrompt(1);
    expect(repairPrompt).toContain("refused by the plan checks");
    expect(repairPrompt).toMatch(/cycle/);
    expect(repairPrompt).toContain("ghost");
    expect(result.stderr).toContain("1 repair");
    expect(features(repo).features.map((f) => f.id)).toEqual(["auth", "docs"]);
  });

  it("shows what is still invalid after the repairs, with places, writes nothing and exits 2", async () => {
    const broken = answer({ id: "core", subtasks: [{ id: "a", deps: ["ghost"] }] });
    const { repo, plan } = await repoWith([broken, broken, broken]);
    const before = featuresText(repo);
    const result = await plan("Build it");
    expect(result.status).toBe(2);
    expect(server?.requests).toHaveLength(3);
    expect(result.stderr).toContain("the planner's plan still has 1 problem after 2 repairs; nothing was written");
    expect(result.stderr).toContain("features[0].subtasks[0].deps[0]");
    expect(result.stderr).toContain("ghost");
    expect(result.stderr).not.toContain("    at ");
    expect(featuresText(repo)).toBe(before);
  });

  it("--dry-run writes nothing and prints the plan, waves, critical path and budgets that add up", async () => {
    const { repo, plan } = await repoWith([GOOD]);
    const before = featuresText(repo);
    const result = await plan("Add login", "--dry-run", "--budget", "60");
    expect(result.status, result.stderr).toBe(0);
    expect(featuresText(repo)).toBe(before);
    expect(existsSync(path.join(repo, ".codex", "events.jsonl"))).toBe(false);
    expect(result.stdout).toContain("Wave 1 (side by side):\n  model  agent openai  effort 1  budget 13\n  guide  agent openai  effort 3  budget 21\n");
    expect(result.stdout).toContain("Wave 2:\n  login  agent openai  effort 4  budget 26  after model\n");
    expect(result.stdout).toContain("Critical path (by effort): model → login\n");
    expect(result.stdout).toContain("Planned credits: 60\n");
    const budgets = [...result.stdout.matchAll(/budget (\d+)/g)].map((m) => Number(m[1]));
    // Each subtask is shown twice (plan and waves): the waves' budgets add up to --budget.
    expect(budgets.slice(3).reduce((a, b) => a + b, 0)).toBe(60);
    expect(result.stderr).toContain("dry run: nothing written");
  });

  it("refuses to overwrite a plan without --append or --replace, before asking the model", async () => {
    const existing = { features: [{ id: "old", feature: "Old", subtasks: [{ id: "model", name: "Old model", command: "true" }] }] };
    const { repo, plan } = await repoWith([GOOD], existing);
    const before = featuresText(repo);
    const result = await plan("More");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("already has a plan (1 feature); it is never overwritten");
    expect(result.stderr).toContain("--append");
    expect(server?.requests).toHaveLength(0);
    expect(featuresText(repo)).toBe(before);
  });

  it("--append adds features whose ids do not clash: a clash goes back to the model", async () => {
    const existing = { features: [{ id: "old", feature: "Old", subtasks: [{ id: "model", name: "Old model", command: "true" }] }] };
    const extra = answer({ id: "api", subtasks: [{ id: "endpoint", deps: ["model"] }] });
    const { repo, plan } = await repoWith([GOOD, extra], existing);
    const result = await plan("More", "--append");
    expect(result.status, result.stderr).toBe(0);
    // GOOD reuses the id "model": refused, and the repair prompt names the existing ids.
    expect(userPrompt(0)).toContain("do not reuse their ids (deps may name them): model");
    expect(userPrompt(1)).toContain("model");
    const written = features(repo);
    expect(written.features.map((f) => f.id)).toEqual(["old", "api"]);
    expect(written.features[1]?.subtasks[0]?.deps).toEqual(["model"]);
  });

  it("--replace replaces the plan, and is refused while a run holds the lead lock", async () => {
    const existing = { features: [{ id: "old", feature: "Old", subtasks: [{ id: "x", name: "X", command: "true" }] }] };
    const { repo, plan } = await repoWith([GOOD, GOOD], existing);
    const holder = spawn(process.execPath, [path.join(repoRoot, "test", "fixtures", "hold-lead-lock.mjs"), repo], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      holder.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      await waitFor("the lead lock to be held", () => out.includes("locked"), 15_000);
      const refused = await plan("Again", "--replace");
      expect(refused.status).toBe(5);
      expect(refused.stderr).toContain("another lead is running");
      expect(features(repo).features.map((f) => f.id)).toEqual(["old"]);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.once("close", resolve));
    }
    const replaced = await plan("Again", "--replace");
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(features(repo).features.map((f) => f.id)).toEqual(["auth", "docs"]);
  });

  it("the budget gate: plan --dry-run --max-credits exits 6 when the budgets exceed it", async () => {
    const { plan } = await repoWith([GOOD, GOOD]);
    const over = await plan("Add login", "--dry-run", "--budget", "60", "--max-credits", "59");
    expect(over.status).toBe(6);
    expect(over.stderr).toContain("planned credits 60 exceed --max-credits 59");
    const under = await plan("Add login", "--dry-run", "--budget", "60", "--max-credits", "60");
    expect(under.status, under.stderr).toBe(0);
  });
});

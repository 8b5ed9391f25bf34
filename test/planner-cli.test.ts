// The planner on a cli profile: the real codex CLI, given the plan's JSON Schema with --output-schema, pointed at a
// fake model server on 127.0.0.1; its final message is the plan, checked and written like any other.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeCliProfile } from "./helpers/cli-agents.js";
import { startFakeCliModels, type FakeCliModels } from "./helpers/fake-cli-models.js";
import { runLeadAsync } from "./helpers/lead-cli.js";
import { tempRepo } from "./helpers/temp.js";

const PLAN = {
  features: [
    {
      id: "api",
      feature: "API",
      description: "",
      subtasks: [
        { id: "model", name: "Model", description: "Add the model.", deps: [], acceptance: ["it compiles"], files: ["src/model.ts"], agent: "codex", effort: 2 },
        { id: "route", name: "Route", description: "Add the route.", deps: ["model"], acceptance: ["GET /x works"], files: ["src/route.ts"], agent: "codex", effort: 3 },
      ],
    },
  ],
};

let server: FakeCliModels | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("codex-lead plan --agent <cli profile>", () => {
  it("plans with the codex CLI: the schema goes with --output-schema, the answer is checked and written", async () => {
    server = await startFakeCliModels({ script: { file: "scratch.txt", content: "x\n", final: JSON.stringify(PLAN) } });
    const repo = tempRepo();
    expect((await runLeadAsync(repo, ["init"])).status).toBe(0);
    const config = { agents: { codex: fakeCliProfile("codex", server.url, { timeout: "90s" }) } };
    writeFileSync(path.join(repo, ".codex", "config.json"), `${JSON.stringify(config, null, 2)}\n`);

    const result = await runLeadAsync(repo, ["plan", "Add a route", "--agent", "codex", "--budget", "10"], {}, 120_000);
    expect(result.status, result.stderr).toBe(0);
    const written = JSON.parse(readFileSync(path.join(repo, ".codex", "features.json"), "utf8")) as { features: { subtasks: { id: string; deps?: string[]; budget?: number }[] }[] };
    expect(written.features[0]?.subtasks.map((t) => [t.id, t.deps ?? [], t.budget])).toEqual([
      ["model", [], 4],
      ["route", ["model"], 6],
    ]);
    // codex sent the plan's schema to the model as its structured output format.
    const requests = server.calls("codex");
    expect(requests.length).toBeGreaterThan(0);
    const format = (requests[0]?.body as { text?: { format?: { type?: string; schema?: unknown } } }).text?.format;
    expect(format?.type).toBe("json_schema");
    expect(JSON.stringify(format?.schema)).toContain('"acceptance"');
    expect(readFileSync(path.join(repo, ".codex", "agents", "planner", "plan.schema.json"), "utf8")).toContain('"effort"');
    expect(result.stderr).toContain("wrote 2 subtasks");
    // codex worked in the planner's own folder, not in the user's checkout.
    expect(existsSync(path.join(repo, "scratch.txt"))).toBe(false);
  }, 150_000);
});

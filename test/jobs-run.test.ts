// `codex-lead jobs run` for real: rows run by workers as subtasks, results checked against the schema, the output
// CSV and JSONL, a job SIGKILLed and run again, an export while it runs, and cell values that must stay data.
// The 50-row job runs the openai agent against the fake model server; the others a shell fixture reading its prompt.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAIServer } from "./helpers/fake-openai-server.js";
import { agent, killGroup, killRecordedWorker, RunRepo, signal, type LeadRun } from "./helpers/run-harness.js";
import { runLead } from "./helpers/lead-cli.js";
import { tempDir } from "./helpers/temp.js";

const SCHEMA = {
  type: "object",
  properties: { name: { type: "string" }, n: { type: "integer" }, upper: { type: "string" } },
  required: ["name", "n", "upper"],
  additionalProperties: false,
};
const INSTRUCTION = "Report the row: <<{name}>> <<{n}>>";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A repository whose plan is empty and whose profile `row` runs the row fixture (argv, no shell) unless `config` replaces it. */
async function jobRepo(delayMs = 0, config: Record<string, unknown> = {}): Promise<RunRepo> {
  const repo = await RunRepo.create([], { workers: 4, agents: { row: { type: "shell", command: agent("job-row-agent.mjs", String(delayMs)) } }, ...config });
  repo.writeFeaturesText('{\n  "features": []\n}\n');
  writeFileSync(path.join(repo.root, "schema.json"), JSON.stringify(SCHEMA));
  return repo;
}

function csvOf(rows: string[][]): string {
  return rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(",")).join("\n") + "\n";
}

function writeCsv(repo: RunRepo, names: string[]): void {
  writeFileSync(path.join(repo.root, "in.csv"), csvOf([["name", "n"], ...names.map((name, i) => [name, String(i + 1)])]));
}

function startJob(repo: RunRepo, extra: string[] = [], env: NodeJS.ProcessEnv = {}): LeadRun {
  const args = ["--csv", "in.csv", "--instruction", INSTRUCTION, "--output", "out.csv", "--output-schema", "schema.json", "--agent", "row", ...extra];
  return repo.start(args, ["jobs", "run", "--json"], env);
}

function outputRows(repo: RunRepo, file = "out.csv"): Record<string, string>[] {
  return parse(readFileSync(path.join(repo.root, file)), { columns: true }) as Record<string, string>[];
}

function outputJsonl(repo: RunRepo): Record<string, unknown>[] {
  return readFileSync(path.join(repo.root, "out.csv.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function completedIds(repo: RunRepo): string[] {
  return Object.entries(repo.progress().tasks)
    .filter(([, task]) => task.status === "completed")
    .map(([id]) => id);
}

/** The `job.setup` / `job.exported` line `jobs run --json` printed beside the run's events. */
function jobLine(run: LeadRun, type: string): Record<string, unknown> | undefined {
  return (run.events as unknown as Record<string, unknown>[]).find((line) => line["type"] === type);
}

/** Every row exactly once on the integration branch: one tag and one commit per row id, nothing else. */
function expectEachRowOnce(repo: RunRepo, ids: string[]): void {
  expect([...repo.tags().keys()].sort()).toEqual(ids.map((id) => `codex/task/${id}`).sort());
  const commits = repo.taskCommits();
  for (const id of ids) expect(commits.get(id), id).toEqual([repo.tags().get(`codex/task/${id}`)]);
}

describe("codex-lead jobs run", () => {
  it("runs a 50-row job end to end through the openai agent: every row completed, checked against the schema, output CSV and JSONL, one tag per row", async () => {
    // The model answers each row with one `finish` call carrying the result it reads from the prompt.
    server = await startFakeOpenAI({
      handler: (request) => {
        const messages = (request.body["messages"] ?? []) as { role: string; content?: unknown }[];
        const prompt = messages.filter((m) => m.role === "user").map((m) => String(m.content)).join("\n");
        const [name = "", n = ""] = [...prompt.matchAll(/<<([\s\S]*?)>>/g)].map((match) => match[1]);
        return { toolCalls: [{ name: "finish", arguments: { summary: `row ${n}`, result: { name, n: Number(n), upper: name.toUpperCase() } } }] };
      },
    });
    const repo = await jobRepo(0, { agents: { row: { type: "openai", base_url: server.baseURL, api: "chat", model: "gpt-5.5" } } });
    const names = Array.from({ length: 50 }, (_, i) => `item ${i + 1}, "quoted"`);
    writeCsv(repo, names);
    const run = startJob(repo, [], { OPENAI_API_KEY: "test-key" });
    expect(await run.waitForExit(180_000), run.describe()).toEqual({ code: 0, signal: null });
    expect(server.requests).toHaveLength(50);
    const ids = names.map((_, i) => `in-${i + 1}`);
    expectEachRowOnce(repo, ids);

    const rows = outputRows(repo);
    expect(Object.keys(rows[0] ?? {})).toEqual(["name", "n", "item_id", "row", "status", "attempts", "last_error", "result_json", "result_name", "result_n", "upper"]);
    expect(rows).toHaveLength(50);
    rows.forEach((row, i) => {
      const result = { name: names[i], n: i + 1, upper: names[i]?.toUpperCase() };
      expect(row).toEqual({
        name: names[i],
        n: String(i + 1),
        item_id: `in-${i + 1}`,
        row: String(i + 1),
        status: "completed",
        attempts: "1",
        last_error: "",
        result_json: JSON.stringify(result),
        result_name: names[i],
        result_n: String(i + 1),
        upper: result.upper,
      });
    });
    const lines = outputJsonl(repo);
    expect(lines).toHaveLength(50);
    expect(lines[49]).toEqual({ item_id: "in-50", row: 50, status: "completed", attempts: 1, last_error: "", input: { name: names[49], n: "50" }, result: { name: names[49], n: 50, upper: names[49]?.toUpperCase() } });
    expect(jobLine(run, "job.exported")?.["counts"]).toMatchObject({ completed: 50, failed: 0 });
  }, 240_000);

  it("retries a row whose result breaks the schema, with the schema's errors as feedback", async () => {
    const repo = await jobRepo();
    writeCsv(repo, ["fine", "BAD-ONCE"]);
    const run = startJob(repo);
    expect(await run.waitForExit(90_000), run.describe()).toEqual({ code: 0, signal: null });
    const bad = repo.task("in-2");
    expect(bad).toMatchObject({ status: "completed", attempt: 2, result: { name: "BAD-ONCE", n: 2, upper: "BAD-ONCE" } });
    expect(bad.attempts?.[0]?.reason).toContain("/n must be integer");
    // What attempt 2 was given (notes file or prompt) carries the checker's words.
    expect(repo.markLines("feedback").join("\n")).toContain("/n must be integer");
    expect(outputRows(repo)[1]).toMatchObject({ status: "completed", attempts: "2", last_error: "" });
  }, 120_000);

  it("fails a row whose agent reports nothing: 'no result reported', exit 3, the row marked in the output", async () => {
    const repo = await jobRepo(0, { max_attempts: 2 });
    writeCsv(repo, ["fine", "SILENT"]);
    const run = startJob(repo);
    expect(await run.waitForExit(90_000), run.describe()).toEqual({ code: 3, signal: null });
    expect(repo.task("in-2")).toMatchObject({ status: "failed", attempt: 2 });
    const [fine, silent] = outputRows(repo);
    expect(fine).toMatchObject({ status: "completed" });
    expect(silent).toMatchObject({ item_id: "in-2", status: "failed", attempts: "2", result_json: "" });
    expect(silent?.["last_error"]).toContain("no result reported");
    expect(runLead(repo.root, ["jobs", "status", "in"]).stdout).toContain("failed in-2 (row 2): failed after 2 attempts: no result reported");
  }, 120_000);

  it("SIGKILLed mid-run (lead and workers) and run again: every row completed exactly once, none redone", async () => {
    const repo = await jobRepo(300, { workers: 3 });
    const names = Array.from({ length: 24 }, (_, i) => `k${i + 1}`);
    writeCsv(repo, names);
    const first = startJob(repo);
    await first.until("some rows completed", () => completedIds(repo).length >= 4, 90_000);
    const workers = Object.values(repo.progress().workers ?? {});
    killGroup(first.pid);
    for (const worker of workers) killRecordedWorker(worker);
    await first.waitForExit(10_000);
    const doneBefore = completedIds(repo);
    expect(doneBefore.length).toBeLessThan(names.length);

    const second = startJob(repo);
    expect(await second.waitForExit(180_000), second.describe()).toEqual({ code: 0, signal: null });
    const ids = names.map((_, i) => `in-${i + 1}`);
    expectEachRowOnce(repo, ids);
    expect(outputRows(repo).map((row) => row["status"])).toEqual(ids.map(() => "completed"));
    // A row completed before the kill was never started again.
    const starts = repo.markLines("starts").map((line) => line.split(" ")[0]);
    for (const id of doneBefore) expect(starts.filter((task) => task === id), id).toHaveLength(1);
    expect(jobLine(second, "job.setup")).toMatchObject({ state: "resumed", added: 0 });
  }, 300_000);

  it("Ctrl-C stops the job cleanly: exit 130, the output written with the rows not done marked so; run again, it finishes", async () => {
    const repo = await jobRepo(400, { workers: 2 });
    writeCsv(repo, Array.from({ length: 10 }, (_, i) => `c${i + 1}`));
    const first = startJob(repo);
    await first.until("two rows completed", () => completedIds(repo).length >= 2, 90_000);
    expect(signal(first.pid, "SIGINT")).toBe(true);
    expect(await first.waitForExit(30_000), first.describe()).toEqual({ code: 130, signal: null });
    const statuses = outputRows(repo).map((row) => row["status"]);
    expect(statuses.filter((s) => s === "completed").length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === "not_started").length).toBeGreaterThan(0);
    const second = startJob(repo);
    expect(await second.waitForExit(120_000), second.describe()).toEqual({ code: 0, signal: null });
    expectEachRowOnce(repo, Array.from({ length: 10 }, (_, i) => `in-${i + 1}`));
  }, 180_000);

  it("exports while the job runs: rows done so far completed, the others marked not done", async () => {
    const repo = await jobRepo(500, { workers: 2 });
    writeCsv(repo, Array.from({ length: 12 }, (_, i) => `e${i + 1}`));
    const run = startJob(repo);
    await run.until("two rows completed", () => completedIds(repo).length >= 2, 90_000);
    const exported = runLead(repo.root, ["jobs", "export", "in", "--output", "now.csv"]);
    expect(exported.status, exported.stderr).toBe(0);
    const statuses = outputRows(repo, "now.csv").map((row) => row["status"]);
    expect(statuses).toHaveLength(12);
    expect(statuses.filter((s) => s === "completed").length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === "not_started" || s === "in_progress").length).toBeGreaterThan(0);
    expect(await run.waitForExit(120_000), run.describe()).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("keeps cell values data: a formula escaped in the CSV and exact in the JSONL; $(…) and backticks never run", async () => {
    const repo = await jobRepo();
    const dir = tempDir("codex-jobs-pwned-");
    const formula = '=HYPERLINK("http://evil.example","click")';
    const injection = `$(touch ${path.join(dir, "a")}) \`touch ${path.join(dir, "b")}\``;
    writeCsv(repo, [formula, injection]);
    const run = startJob(repo);
    expect(await run.waitForExit(90_000), run.describe()).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dir, "a"))).toBe(false);
    expect(existsSync(path.join(dir, "b"))).toBe(false);
    const [first, second] = outputRows(repo);
    expect(first).toMatchObject({ name: `'${formula}`, result_name: `'${formula}`, status: "completed" });
    expect(JSON.parse(first?.["result_json"] ?? "")).toEqual({ name: formula, n: 1, upper: formula.toUpperCase() });
    expect(second).toMatchObject({ name: injection, result_name: injection });
    const lines = outputJsonl(repo);
    expect(lines[0]).toMatchObject({ input: { name: formula }, result: { name: formula } });
    expect(lines[1]).toMatchObject({ input: { name: injection }, result: { name: injection } });
    // The raw CSV text really carries the escape (a spreadsheet reads the cell as text).
    expect(readFileSync(path.join(repo.root, "out.csv"), "utf8")).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
  }, 120_000);
});

// CSV jobs before any row runs: the input checked whole (exit 2 naming the line, nothing created), the rows
// appended to the plan, resume and restart, and the output CSV/JSONL written from the files as they stand.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { CodexStore } from "../src/store/codex-store.js";
import { setUpJob } from "../src/jobs/create-job.js";
import { exportJob } from "../src/jobs/export-job.js";
import { readJob } from "../src/jobs/job-file.js";
import { loadPlan } from "../src/plan/load-plan.js";
import { runLead as lead } from "./helpers/lead-cli.js";
import { tempRepo } from "./helpers/temp.js";

function initRepo(): string {
  const root = tempRepo("codex-jobs-");
  const init = lead(root, ["init"]);
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  return root;
}

function write(root: string, name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text);
  return file;
}

const features = (root: string): { features: { id: string; subtasks: Record<string, unknown>[]; [key: string]: unknown }[] } =>
  JSON.parse(readFileSync(path.join(root, ".codex", "features.json"), "utf8"));

describe("jobs run: the CSV is checked whole before any row becomes a subtask", () => {
  const cases: { what: string; csv: string; args?: string[]; expected: RegExp }[] = [
    { what: "a bad quote", csv: 'id,text\n1,ok\n2,"x"y\n3,ok\n', expected: /in\.csv: .*line 3.*CSV_INVALID_CLOSING_QUOTE/ },
    { what: "a wrong column count", csv: "id,text\n1,ok\n2,ok\n3,ok,extra\n", expected: /in\.csv: .*expect 2, got 3 on line 4/ },
    { what: "a duplicate header", csv: "id,text,id\n1,a,b\n", expected: /in\.csv: line 1: duplicate column name "id" in the header row \(columns 1 and 3\)/ },
    { what: "an empty header", csv: "id,,text\n1,a,b\n", expected: /in\.csv: line 1: column 2 has an empty name/ },
    { what: "a repeated id", csv: "id,text\na,1\nb,2\na,3\n", args: ["--id-column", "id"], expected: /line 4 \(row 3\): id "a" repeats the one on line 2/ },
    { what: "an unsafe id", csv: "id,text\na,1\n../etc,2\n", args: ["--id-column", "id"], expected: /line 3 \(row 2\): id "\.\.\/etc" gives the id "in-\.\.\/etc", which contains a path separator "\/", contains "\.\."/ },
    { what: "an empty id", csv: 'id,text\na,1\n"\n",2\n,3\n', args: ["--id-column", "id"], expected: /line 3 \(row 2\): id "\\n" gives the id "in-\\n", which contains a control character/ },
  ];
  for (const { what, csv, args = [], expected } of cases) {
    it(`refuses ${what}: exit 2, the line named, nothing created`, () => {
      const root = initRepo();
      write(root, "in.csv", csv);
      const before = readFileSync(path.join(root, ".codex", "features.json"), "utf8");
      const result = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "do {text}", "--output", "out.csv", ...args]);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).not.toContain("    at ");
      expect(readFileSync(path.join(root, ".codex", "features.json"), "utf8")).toBe(before);
      expect(existsSync(path.join(root, ".codex", "jobs"))).toBe(false);
      expect(existsSync(path.join(root, "out.csv"))).toBe(false);
    });
  }

  it("refuses a placeholder naming no column, listing the columns, and a lone brace", () => {
    const root = initRepo();
    write(root, "in.csv", "title,body\nx,y\n");
    const unknown = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "Sum up {titel}", "--output", "out.csv"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('{titel} names no column of the CSV; its columns are "title", "body"');
    const brace = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "JSON like {title", "--output", "out.csv"]);
    expect(brace.status).toBe(2);
    expect(brace.stderr).toContain('"{" at character 11 is not closed');
    expect(existsSync(path.join(root, ".codex", "jobs"))).toBe(false);
  });

  it("refuses an output schema that is not a valid JSON Schema, with ajv's errors, before anything is written", () => {
    const root = initRepo();
    write(root, "in.csv", "title\nx\n");
    write(root, "schema.json", '{"type":"object","properties":{"n":{"type":"integr"}}}');
    const result = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "{title}", "--output", "out.csv", "--output-schema", "schema.json"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--output-schema schema.json: not a valid JSON Schema: /properties/n/type must be equal to one of the allowed values");
    expect(existsSync(path.join(root, ".codex", "jobs"))).toBe(false);
  });
});

describe("jobs: rows in the plan, resume, restart, export", () => {
  it("appends one subtask per row under job-<name>, the schema, profile and limit once on the feature", async () => {
    const root = initRepo();
    write(root, "in.csv", "title,n\nAlpha,1\n\"Be, ta\",2\n");
    write(root, "schema.json", JSON.stringify({ type: "object", properties: { upper: { type: "string" } }, required: ["upper"] }));
    const store = new CodexStore(root);
    const setup = await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "Upper-case {title} ({{n}}={n})", output: "out.csv", outputSchema: "schema.json", maxRuntime: "5m" });
    expect(setup).toMatchObject({ state: "created", added: 2 });
    const feature = features(root).features.find((f) => f.id === "job-in");
    expect(feature).toMatchObject({ id: "job-in", timeout: "5m", result_schema: { type: "object" } });
    expect(feature?.subtasks).toEqual([
      { id: "in-1", name: "row 1", description: "Upper-case Alpha ({n}=1)" },
      { id: "in-2", name: "row 2", description: "Upper-case Be, ta ({n}=2)" },
    ]);
    // The plan stays valid for every other command, and each row inherits the feature's settings.
    expect(lead(root, ["validate"]).status).toBe(0);
    const row = (await loadPlan(store)).byId.get("in-2");
    expect(row).toMatchObject({ timeout: "5m", result_schema: { type: "object", required: ["upper"] }, featureId: "job-in" });
    const job = await readJob(store, "in");
    expect(job).toMatchObject({ rows: 2, columns: ["title", "n"], id_column: null, output: path.join(root, "out.csv") });
    expect(readFileSync(path.join(root, ".codex", "jobs", "in.input.csv"), "utf8")).toBe("title,n\nAlpha,1\n\"Be, ta\",2\n");
  });

  it("resumes the same job without adding rows; refuses a changed CSV unless --restart, which gives new ids", async () => {
    const root = initRepo();
    write(root, "in.csv", "title\na\nb\n");
    const store = new CodexStore(root);
    await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "{title}", output: "out.csv" });
    const again = await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "{title}", output: "out.csv" });
    expect(again).toMatchObject({ state: "resumed", added: 0 });
    expect(features(root).features.filter((f) => f.id === "job-in")).toHaveLength(1);

    write(root, "in.csv", "title\na\nc\n");
    const changed = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "{title}", "--output", "out.csv"]);
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/job in was made from other input: the input CSV \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\) changed/);
    const instruction = lead(root, ["jobs", "run", "--csv", "in.csv", "--instruction", "other {title}", "--output", "out.csv", "--name", "in"]);
    expect(instruction.stderr).toContain("--instruction");

    const restarted = await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "{title}", output: "out.csv", restart: true });
    expect(restarted).toMatchObject({ state: "restarted", added: 2 });
    const feature = features(root).features.find((f) => f.id === "job-in");
    expect(feature?.subtasks.map((s) => s.id)).toEqual(["in.2-1", "in.2-2"]);
    expect(feature?.subtasks[1]?.["description"]).toBe("c");
  });

  it("--dedupe makes ids unique deterministically and reports each change", async () => {
    const root = initRepo();
    write(root, "in.csv", "id,v\nx,1\nx,2\na/b,3\n,4\nx-2,5\n");
    const store = new CodexStore(root);
    const setup = await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "{v}", output: "out.csv", idColumn: "id", dedupe: true, name: "d" });
    expect(features(root).features.find((f) => f.id === "job-d")?.subtasks.map((s) => s.id)).toEqual(["d-x", "d-x-2", "d-a_b", "d-row4", "d-x-2-5"]);
    expect(setup.changes.map((c) => [c.line, c.id, c.why])).toEqual([
      [3, "d-x-2", "repeats the value of line 2"],
      [4, "d-a_b", 'value contains a path separator "/"'],
      [5, "d-row4", "value is empty"],
      [6, "d-x-2-5", "the id d-x-2 was already given to line 3"],
    ]);
  });

  it("exports at any time: rows not done marked so, formulas escaped in the CSV and intact in the JSONL, one column per flat property", async () => {
    const root = initRepo();
    const formula = '=HYPERLINK("http://evil.example","click")';
    write(root, "in.csv", `name,status\n"${formula.replace(/"/g, '""')}",x\nplain,y\n`);
    write(root, "schema.json", JSON.stringify({ type: "object", properties: { name: { type: "string" }, score: { type: "integer" } } }));
    const store = new CodexStore(root);
    await setUpJob(store, { cwd: root, csv: "in.csv", instruction: "{name}", output: "out.csv", outputSchema: "schema.json", name: "f" });
    // A completed row as the lead records it (status, attempt, result); the other row never started.
    await store.progress.update((progress) => {
      progress.tasks["f-1"] = { status: "completed", attempt: 2, result: { name: formula, score: -5 } };
    });
    const summary = await exportJob(store, await readJob(store, "f"));
    expect(summary.counts).toMatchObject({ completed: 1, not_started: 1 });
    const csv = parse(readFileSync(path.join(root, "out.csv"))) as string[][];
    // The input's own "status" and "name" keep their names; ours give way.
    expect(csv[0]).toEqual(["name", "status", "item_id", "row", "job_status", "attempts", "last_error", "result_json", "result_name", "score"]);
    expect(csv[1]).toEqual([`'${formula}`, "x", "f-1", "1", "completed", "2", "", JSON.stringify({ name: formula, score: -5 }), `'${formula}`, "'-5"]);
    expect(csv[2]).toEqual(["plain", "y", "f-2", "2", "not_started", "0", "", "", "", ""]);
    const jsonl = readFileSync(path.join(root, "out.csv.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(jsonl[0]).toEqual({ item_id: "f-1", row: 1, status: "completed", attempts: 2, last_error: "", input: { name: formula, status: "x" }, result: { name: formula, score: -5 } });
    expect(jsonl[1]).toMatchObject({ item_id: "f-2", status: "not_started", result: null });

    const listed = lead(root, ["jobs", "list"]);
    expect(listed.stdout.trim()).toBe("f: 1/2 rows completed · 0 failed · 0 running · 0 blocked · 1 not started");
    const exported = lead(root, ["jobs", "export", "f", "--output", "again.csv"]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(readFileSync(path.join(root, "again.csv"), "utf8")).toBe(readFileSync(path.join(root, "out.csv"), "utf8"));
    const missing = lead(root, ["jobs", "status", "nope"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no job named "nope"');
    expect(missing.stderr).toContain("Jobs here: f.");
  });
});

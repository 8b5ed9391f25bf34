// Benchmark: locked state transitions per second on .codex/progress.json vs SQLite (WAL), and `status` on a 10,000-task file.
// Run after `npm run build` with: node bench/store-throughput.js [--tasks 100] [--tx 4800] [--writers 1,4,16] [--rounds 3] [--quick]
// `--status-only` skips the throughput rows; `--keep` keeps the temp repositories.
// `--race <saves>` instead measures how often a person's unlocked save (every 30-60 ms) is lost to the residual race.
// It starts its own writer processes (this same script with --child) and prints a table; figures and the machine go to docs/benchmarks.md.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const distUrl = (rel) => new URL(`../dist/${rel}`, import.meta.url).href;

function arg(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const taskId = (i) => `task-${String(i).padStart(5, "0")}`;

// ---------------------------------------------------------------- child: one writer process

/** Waits for "go" on stdin, makes `count` transitions, prints {done, ms}. */
async function child(kind, target, count, writer, tasks, fsync) {
  let transition;
  if (kind === "ours") {
    const { CodexStore } = await import(distUrl("store/codex-store.js"));
    const store = new CodexStore(target, { fsync });
    transition = async (i) => {
      const id = taskId((writer * 7919 + i) % tasks);
      await store.progress.update((draft) => {
        const task = draft.tasks[id];
        task.status = task.status === "in_progress" ? "completed" : "in_progress";
        task.updated_at = new Date().toISOString();
        task.attempt = (task.attempt ?? 0) + 1;
      });
    };
  } else {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(target);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${fsync ? "FULL" : "NORMAL"}`);
    db.pragma("busy_timeout = 30000");
    const select = db.prepare("SELECT status FROM tasks WHERE id = ?");
    const update = db.prepare("UPDATE tasks SET status = ?, updated_at = ?, attempt = attempt + 1 WHERE id = ?");
    const flip = db.transaction((id) => {
      const row = select.get(id);
      update.run(row.status === "in_progress" ? "completed" : "in_progress", new Date().toISOString(), id);
    });
    transition = async (i) => {
      flip.immediate(taskId((writer * 7919 + i) % tasks));
    };
  }
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  const started = performance.now();
  for (let i = 0; i < count; i++) await transition(i);
  process.stdout.write(`${JSON.stringify({ done: count, ms: performance.now() - started })}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- parent

function startWriter(args) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", ...args.map(String)], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const ready = new Promise((resolve, reject) => {
    proc.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      if (out.includes("ready\n")) resolve();
    });
    proc.on("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
  });
  const done = new Promise((resolve, reject) => {
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`writer exited with ${code}`));
      const last = out.trim().split("\n").pop();
      resolve(JSON.parse(last));
    });
  });
  return { proc, ready, done };
}

/** All writers ready (imports done, files open), then one "go": wall time covers the transitions only. */
async function runWriters(writers, argsFor) {
  const procs = Array.from({ length: writers }, (_, w) => startWriter(argsFor(w)));
  await Promise.all(procs.map((p) => p.ready));
  const started = performance.now();
  for (const p of procs) p.proc.stdin.end("go\n");
  const results = await Promise.all(procs.map((p) => p.done));
  return { ms: performance.now() - started, done: results.reduce((sum, r) => sum + r.done, 0) };
}

function progressWith(tasks) {
  const now = new Date().toISOString();
  const out = { $schema: "./schemas/progress.schema.json", tasks: {}, workers: {} };
  for (let i = 0; i < tasks; i++) out.tasks[taskId(i)] = { status: "not_started", updated_at: now, attempt: 0 };
  return out;
}

async function oursRound(work, writers, total, tasks, fsync) {
  const { canonicalJson } = await import(distUrl("util/json-text.js"));
  const root = mkdtempSync(path.join(work, "ours-"));
  mkdirSync(path.join(root, ".codex"), { recursive: true });
  const file = path.join(root, ".codex", "progress.json");
  writeFileSync(file, canonicalJson(progressWith(tasks)));
  const per = Math.ceil(total / writers);
  const run = await runWriters(writers, (w) => ["ours", root, per, w, tasks, fsync ? 1 : 0]);
  const final = JSON.parse(readFileSync(file, "utf8"));
  const counted = Object.values(final.tasks).reduce((sum, t) => sum + (t.attempt ?? 0), 0);
  return { rate: (run.done / run.ms) * 1000, expected: run.done, lost: run.done - counted, bytes: statSync(file).size };
}

async function sqliteRound(work, writers, total, tasks, fsync) {
  const { default: Database } = await import("better-sqlite3");
  const dir = mkdtempSync(path.join(work, "sqlite-"));
  const dbFile = path.join(dir, "progress.db");
  const db = new Database(dbFile);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE tasks (id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT, attempt INTEGER NOT NULL)");
  const insert = db.prepare("INSERT INTO tasks VALUES (?, 'not_started', ?, 0)");
  db.transaction(() => {
    for (let i = 0; i < tasks; i++) insert.run(taskId(i), new Date().toISOString());
  })();
  db.close();
  const per = Math.ceil(total / writers);
  const run = await runWriters(writers, (w) => ["sqlite", dbFile, per, w, tasks, fsync ? 1 : 0]);
  const check = new Database(dbFile, { readonly: true });
  const counted = check.prepare("SELECT SUM(attempt) AS n FROM tasks").get().n;
  check.close();
  return { rate: (run.done / run.ms) * 1000, expected: run.done, lost: run.done - counted };
}

/**
 * The comparison side, or why it is missing. better-sqlite3 is an optional dependency: a native module that
 * npm leaves out when it has no prebuilt binary for this Node and no C++ toolchain to build one.
 */
async function sqliteAvailability() {
  try {
    await import("better-sqlite3").then(({ default: Database }) => new Database(":memory:").close());
    return { ok: true };
  } catch (error) {
    const missing = error?.code === "ERR_MODULE_NOT_FOUND";
    const why = missing ? "better-sqlite3 (an optional dependency) is not installed" : `better-sqlite3 cannot be loaded: ${String(error?.message ?? error).split("\n")[0]}`;
    const how = missing
      ? "To get the comparison: put a C++ toolchain on the machine (python3, make, g++), then run `npm install` again (npm builds better-sqlite3 when no prebuilt binary fits this Node) and this benchmark again."
      : "To get the comparison: run `npm rebuild better-sqlite3` (it needs python3, make and g++ when no prebuilt binary fits this Node), then this benchmark again.";
    return { ok: false, why, how };
  }
}

function table(rows, header) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

function range(results) {
  const rates = results.map((r) => r.rate);
  return `${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function statusBench(work) {
  const { canonicalJson } = await import(distUrl("util/json-text.js"));
  const root = mkdtempSync(path.join(work, "status-"));
  mkdirSync(path.join(root, ".codex"), { recursive: true });
  // A git repository, as in real use: status asks git for the repository root and for work kept on branches.
  execFileSync("git", ["init", "-q"], { cwd: root });
  const tasks = 10_000;
  const perFeature = 100;
  const statuses = ["completed", "completed", "completed", "in_progress", "not_started", "not_started", "blocked", "failed"];
  const progress = progressWith(0);
  const features = { $schema: "./schemas/features.schema.json", features: [] };
  const started = new Date(Date.now() - 3_600_000).toISOString();
  for (let f = 0; f < tasks / perFeature; f++) {
    const subtasks = [];
    for (let s = 0; s < perFeature; s++) {
      const i = f * perFeature + s;
      const id = taskId(i);
      const status = statuses[i % statuses.length];
      subtasks.push({
        id,
        name: `Subtask ${i}`,
        description: `Do step ${i} of feature ${f}.`,
        deps: s > 0 ? [taskId(i - 1)] : [],
        acceptance: `step ${i} passes its check`,
        command: `node scripts/step.js ${i}`,
      });
      const state = { status, attempt: 1, updated_at: new Date().toISOString() };
      if (status !== "not_started") Object.assign(state, { assignee: `w${i % 8}`, started_at: started });
      if (status === "completed") Object.assign(state, { completed_at: new Date().toISOString(), percent: 100, commit: "0123456789abcdef0123456789abcdef01234567", tag: `codex/${id}` });
      if (status === "in_progress") Object.assign(state, { percent: 40, detail: "working on it" });
      if (status === "blocked") state.reason = "waiting for a person";
      if (status === "failed") Object.assign(state, { reason: "exited", error: "command exited with code 1" });
      progress.tasks[id] = state;
    }
    features.features.push({ id: `feature-${f}`, feature: `Feature ${f}`, subtasks });
  }
  for (let w = 0; w < 8; w++) {
    progress.workers[`w${w}`] = { status: "busy", task: taskId(w * 8 + 3), attempt: 1, pid: 1000 + w, host: "bench", started_at: started, updated_at: new Date().toISOString() };
  }
  const progressFile = path.join(root, ".codex", "progress.json");
  const featuresFile = path.join(root, ".codex", "features.json");
  writeFileSync(progressFile, canonicalJson(progress));
  writeFileSync(featuresFile, canonicalJson(features));

  // The library read path: read + validate both files, build the plan, summarise.
  const { CodexStore } = await import(distUrl("store/codex-store.js"));
  const { loadPlanIfPresent } = await import(distUrl("plan/load-plan.js"));
  const { pipelineSummary } = await import(distUrl("ops/summary.js"));
  const library = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    const store = new CodexStore(root);
    const plan = await loadPlanIfPresent(store);
    const summary = pipelineSummary(plan, await store.progress.read());
    library.push(performance.now() - t0);
    if (run === 0 && !summary) throw new Error("no summary");
  }

  // The CLI, as a person runs it: a fresh process each time.
  const cli = path.join(repoRoot, "bin", "codex-lead.js");
  const cliRuns = [];
  let cliNote = "";
  try {
    statSync(cli);
    execFileSync(process.execPath, [cli, "status"], { cwd: root, stdio: "pipe" });
    for (let run = 0; run < 5; run++) {
      const t0 = performance.now();
      execFileSync(process.execPath, [cli, "status"], { cwd: root, stdio: "pipe", env: { ...process.env, NO_COLOR: "1" } });
      cliRuns.push(performance.now() - t0);
    }
  } catch (error) {
    cliNote = `codex-lead status not timed: ${String(error.message ?? error).split("\n")[0]}`;
  }
  const nodeStart = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["-e", ""], { stdio: "pipe" });
    nodeStart.push(performance.now() - t0);
  }
  return {
    progressBytes: statSync(progressFile).size,
    featuresBytes: statSync(featuresFile).size,
    libraryMs: median(library),
    cliMs: cliRuns.length ? median(cliRuns) : null,
    cliRuns,
    nodeStartMs: median(nodeStart),
    cliNote,
  };
}

/** A person saving `saves` times (30-60 ms apart, editor-style or in place) while `writers` processes increment a counter. */
async function raceRound(work, mode, saves, writers) {
  const dir = mkdtempSync(path.join(work, `race-${mode}-`));
  const file = path.join(dir, "counter.json");
  const stop = path.join(dir, "stop");
  writeFileSync(file, '{\n  "count": 0\n}\n');
  const fixture = (name) => path.join(repoRoot, "test", "fixtures", name);
  const run = (script, args) =>
    new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [fixture(script), ...args.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      proc.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
      proc.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop())) : reject(new Error(`${script} exited ${code}`))));
    });
  const writerRuns = Array.from({ length: writers }, () => run("store-counter.mjs", [file, 0, "-", stop, "wait-invalid"]));
  const person = await run("store-person.mjs", [file, mode, saves, 30, 60]);
  writeFileSync(stop, "stop\n");
  const results = await Promise.all(writerRuns);
  const final = JSON.parse(readFileSync(file, "utf8"));
  let lost = 0;
  for (let i = 1; i <= saves; i++) if (final.person?.[`s${i}`] !== i) lost++;
  const ours = results.reduce((sum, r) => sum + r.done, 0);
  const reapplied = results.reduce((sum, r) => sum + r.concurrentEdits, 0);
  return { mode, saves: person.saves, lost, ours, reapplied, seconds: person.ms / 1000 };
}

async function main() {
  const raceSaves = Number(arg("race", "0"));
  if (raceSaves > 0) {
    const work = mkdtempSync(path.join(os.tmpdir(), "codex-race-"));
    try {
      const writers = Number(arg("race-writers", "4"));
      const rows = [];
      for (const mode of ["editor", "inplace"]) {
        const r = await raceRound(work, mode, raceSaves, writers);
        rows.push([r.mode, r.saves, r.lost, r.ours, (r.ours / r.seconds).toFixed(0), r.reapplied]);
      }
      console.log(`person saves every 30-60 ms while ${writers} writer processes increment without pause`);
      console.log(table(rows, ["person saves", "saves", "lost", "our writes", "our writes/s", "re-applied on top"]));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const quick = process.argv.includes("--quick");
  const tasks = Number(arg("tasks", "100"));
  const total = Number(arg("tx", quick ? "400" : "4800"));
  const writerCounts = arg("writers", "1,4,16").split(",").map(Number);
  const rounds = Number(arg("rounds", quick ? "1" : "3"));
  const work = mkdtempSync(path.join(os.tmpdir(), "codex-bench-"));
  const cpus = os.cpus();
  console.log(`codex-crew store benchmark — node ${process.version}, ${cpus.length} x ${cpus[0]?.model ?? "cpu"}, ${os.platform()} ${os.release()}`);
  console.log(`temp dir on: ${execFileSync("df", ["-T", work], { encoding: "utf8" }).trim().split("\n").pop()}`);
  console.log(`progress.json with ${tasks} tasks; ${total} transitions per row, split over the writers.\n`);
  const sqliteSide = process.argv.includes("--status-only") ? { ok: true } : await sqliteAvailability();
  if (!sqliteSide.ok) console.log(`No SQLite comparison: ${sqliteSide.why}; measuring our side only.\n${sqliteSide.how}\n`);
  try {
    for (const fsync of process.argv.includes("--status-only") ? [] : [true, false]) {
      const rows = [];
      for (const writers of writerCounts) {
        // Rounds alternate ours and SQLite, so a disturbance of the machine hits both; medians are compared.
        const ours = [];
        const sqlite = [];
        for (let round = 0; round < rounds; round++) {
          ours.push(await oursRound(work, writers, total, tasks, fsync));
          if (sqliteSide.ok) sqlite.push(await sqliteRound(work, writers, total, tasks, fsync));
        }
        const oursRate = median(ours.map((r) => r.rate));
        if (!sqliteSide.ok) {
          rows.push([writers, oursRate.toFixed(0), range(ours), ours.reduce((sum, r) => sum + r.lost, 0), ours[0].expected]);
          continue;
        }
        const sqliteRate = median(sqlite.map((r) => r.rate));
        const lost = `${ours.reduce((sum, r) => sum + r.lost, 0)} / ${sqlite.reduce((sum, r) => sum + r.lost, 0)}`;
        rows.push([writers, oursRate.toFixed(0), range(ours), sqliteRate.toFixed(0), range(sqlite), `${((oursRate / sqliteRate) * 100).toFixed(0)}%`, lost, ours[0].expected]);
      }
      console.log(
        fsync
          ? `Durable: ours fsyncs each write (default)${sqliteSide.ok ? "; SQLite WAL with synchronous=FULL" : ""}`
          : `Not durable: ours with fsync: false${sqliteSide.ok ? "; SQLite WAL with synchronous=NORMAL (no fsync per commit)" : ""}`,
      );
      console.log(`median of ${rounds} rounds each, with the range`);
      if (sqliteSide.ok) console.log(table(rows, ["writers", "ours tx/s", "ours range", "sqlite tx/s", "sqlite range", "ours/sqlite", "lost (ours / sqlite), all rounds", "transitions per round"]));
      else console.log(table(rows, ["writers", "ours tx/s", "ours range", "lost, all rounds", "transitions per round"]));
      console.log("");
    }
    const status = await statusBench(work);
    console.log(`10,000-task progress.json: ${(status.progressBytes / 1024 / 1024).toFixed(2)} MiB (${status.progressBytes} bytes); features.json ${(status.featuresBytes / 1024 / 1024).toFixed(2)} MiB`);
    console.log(`library read + validate + summary (in-process, median of 5): ${status.libraryMs.toFixed(0)} ms`);
    if (status.cliMs !== null) {
      console.log(`node bin/codex-lead.js status in a git repository (fresh process, median of 5): ${status.cliMs.toFixed(0)} ms  [runs: ${status.cliRuns.map((ms) => ms.toFixed(0)).join(", ")}]`);
    } else {
      console.log(status.cliNote);
    }
    console.log(`(an empty \`node -e ""\` takes ${status.nodeStartMs.toFixed(0)} ms here)`);
  } finally {
    if (process.argv.includes("--keep")) console.log(`kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [, , , kind, target, count, writer, tasks, fsync] = process.argv;
  await child(kind, target, Number(count), Number(writer), Number(tasks), fsync === "1");
} else {
  await main();
}

// Benchmark: a CSV job through the built-in openai agent against a local fake model that answers every call after
// L ms (one `finish` call per row), C workers. Printed: wall time, rows/s against the ideal C / L (the reference:
// what the model's latency alone allows) as efficiency, CPU per row (the machine's busy time over the run: run it on
// an otherwise idle machine), the peak memory of all codex-crew processes, and where each row's dead time goes
// between its agent finishing and the next row's model call on the same worker.
// Usage: npm run build && node bench/jobs.js [rows L_ms C]   (no arguments: 1000 rows at L=1000,C=16 then L=200,C=8)
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startFakeOpenAI } from "../test/helpers/fake-openai-server.js";
import { fmt, leadBin, machineBusySeconds, median, repoRoot, tempRepo } from "./_bench-util.js";

const SCHEMA = { type: "object", properties: { label: { type: "string" }, row: { type: "string" } }, required: ["label", "row"] };
const GOALS = { 1000: 0.9, 200: 0.75 };

/** The model: every call finishes its row at once, with a result naming the row. */
function finishRow(request) {
  const messages = request.body.messages ?? [];
  const prompt = messages.find((m) => m.role === "user")?.content ?? "";
  const row = /<<(.*?)>>/.exec(prompt)?.[1] ?? "?";
  return { toolCalls: [{ name: "finish", arguments: { summary: `labelled ${row}`, result: { label: "ok", row } } }], usage: { input_tokens: 700, output_tokens: 25 } };
}

/**
 * One look at every process running our bins (leads, workers and the agents inside them): the sum of their
 * proportional set sizes in kB (pages shared between them, such as the node binary's ~45 MB, count once), and each
 * one's CPU seconds so far (utime + stime), by pid and kind, so the run's CPU is split between lead and workers.
 */
function sampleCodexCrew(cpuByPid) {
  let pssKb = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes(path.join(repoRoot, "bin"))) continue;
      const rollup = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, "utf8"));
      pssKb += Number(rollup?.[1] ?? 0);
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
      cpuByPid.set(entry, { kind: cmdline.includes("codex-worker") ? "workers" : "lead", seconds });
    } catch {
      // gone meanwhile
    }
  }
  return pssKb;
}

function lead(dir, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [leadBin, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`codex-lead ${args.join(" ")} exited ${code}: ${stderr}`))));
  });
}

/** Per worker, in time order: when each row was assigned, asked the model first, and handed off. */
function deadTimes(dir, requests, latencyMs) {
  const events = readFileSync(path.join(dir, ".codex", "events.jsonl"), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const firstCall = new Map();
  for (const request of requests) {
    const task = /# Subtask (\S+):/.exec(request.body.messages?.find((m) => m.role === "user")?.content ?? "")?.[1];
    if (task && !firstCall.has(task)) firstCall.set(task, request.at);
  }
  const byWorker = new Map();
  for (const event of events) {
    if (!event.worker || !event.task) continue;
    const at = Date.parse(event.ts);
    const list = byWorker.get(event.worker) ?? [];
    byWorker.set(event.worker, list);
    if (event.type === "task.status" && event.to === "in_progress") list.push({ task: event.task, assigned: at });
    const current = list.find((row) => row.task === event.task && row.handoff === undefined);
    if (event.type === "attempt.handoff" && current) current.handoff = at;
  }
  const finishToHandoff = [];
  const handoffToAssign = [];
  const assignToCall = [];
  for (const rows of byWorker.values()) {
    rows.forEach((row, i) => {
      const call = firstCall.get(row.task);
      if (call !== undefined) {
        assignToCall.push(call - row.assigned);
        if (row.handoff !== undefined) finishToHandoff.push(row.handoff - (call + latencyMs));
      }
      const next = rows[i + 1];
      if (next && row.handoff !== undefined) handoffToAssign.push(next.assigned - row.handoff);
    });
  }
  const p90 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? NaN;
  const show = (values) => `${fmt(median(values), 0)}/${fmt(p90(values), 0)} ms`;
  return { finishToHandoff: show(finishToHandoff), handoffToAssign: show(handoffToAssign), assignToCall: show(assignToCall), total: median(finishToHandoff) + median(handoffToAssign) + median(assignToCall) };
}

async function bench(rows, latencyMs, workers) {
  const server = await startFakeOpenAI({ handler: finishRow, delayMs: latencyMs });
  try {
    const dir = tempRepo("codex-bench-jobs-");
    await lead(dir, ["init"]);
    const config = { workers, heartbeat: "2s", stall_timeout: "60s", agents: { bench: { type: "openai", base_url: server.baseURL, api: "chat", model: "gpt-5.5" } } };
    writeFileSync(path.join(dir, ".codex", "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(path.join(dir, "in.csv"), `id,text\n${Array.from({ length: rows }, (_, i) => `r${i + 1},text of row ${i + 1}`).join("\n")}\n`);
    writeFileSync(path.join(dir, "schema.json"), JSON.stringify(SCHEMA));
    let peakKb = 0;
    const cpuByPid = new Map();
    const sampler = setInterval(() => (peakKb = Math.max(peakKb, sampleCodexCrew(cpuByPid))), 250);
    const busyBefore = machineBusySeconds();
    const started = performance.now();
    try {
      await lead(dir, ["jobs", "run", "--csv", "in.csv", "--instruction", "Label <<{id}>>: {text}", "--output", "out.csv", "--output-schema", "schema.json", "--agent", "bench", "--workers", String(workers)], { OPENAI_API_KEY: "bench-key" });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = busyBefore === undefined ? NaN : machineBusySeconds() - busyBefore;
    const completed = readFileSync(path.join(dir, "out.csv"), "utf8").split("\n").filter((line) => line.includes(",completed,")).length;
    const ideal = workers / (latencyMs / 1000);
    const rate = rows / seconds;
    const dead = deadTimes(dir, server.requests, latencyMs);
    const progressBytes = readFileSync(path.join(dir, ".codex", "progress.json")).length;
    if (process.env.BENCH_JOBS_KEEP_PROGRESS) writeFileSync(process.env.BENCH_JOBS_KEEP_PROGRESS, readFileSync(path.join(dir, ".codex", "progress.json")));
    // Seen at the last sample before each process ended (up to 250 ms of it may be missed).
    const cpuOf = (kind) => [...cpuByPid.values()].filter((p) => p.kind === kind).reduce((sum, p) => sum + p.seconds, 0);
    const goal = GOALS[latencyMs];
    console.log(`jobs: ${rows} rows, L = ${latencyMs} ms, C = ${workers} workers: ${completed}/${rows} completed, ${server.requests.length} model calls`);
    console.log(`  wall ${fmt(seconds)} s · ${fmt(rate)} rows/s · ideal C/L ${fmt(ideal)} rows/s (${fmt(rows / ideal)} s) · efficiency ${fmt((rate / ideal) * 100)} %${goal ? ` (goal ≥ ${goal * 100} %)` : ""}`);
    console.log(`  CPU per row ${fmt((cpu / rows) * 1000)} ms (machine busy time), of it the lead ${fmt((cpuOf("lead") / rows) * 1000)} ms and the workers ${fmt((cpuOf("workers") / rows) * 1000)} ms (the rest: git, the fake model, anything else running)`);
    console.log(`  peak memory of codex-crew processes ${fmt(peakKb / 1024, 0)} MB (sum of PSS; goal ≤ 1536 MB) · progress.json at the end ${fmt(progressBytes / 1024, 0)} KB, ${fmt(progressBytes / rows, 0)} bytes a row`);
    console.log(`  dead time per row, median/p90: agent finished -> hand-off ${dead.finishToHandoff} · hand-off -> next assignment ${dead.handoffToAssign} · assignment -> first model call ${dead.assignToCall} (medians add up to ${fmt(dead.total, 0)} ms against L = ${latencyMs} ms)`);
  } finally {
    await server.close();
  }
}

const [rowsArg, latencyArg, workersArg] = process.argv.slice(2).map(Number);
const runs = rowsArg ? [[rowsArg, latencyArg ?? 1000, workersArg ?? 16]] : [[1000, 1000, 16], [1000, 200, 8]];
for (const [rows, latencyMs, workers] of runs) await bench(rows, latencyMs, workers);

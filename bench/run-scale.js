// Benchmark (c): a 10,000-subtask plan. Lead resident memory (goal < 200 MB) and, after the lead is
// SIGKILLed mid-run, the time from restarting it to its first dispatch (goal < 3 s).
// Usage: node bench/run-scale.js [subtasks=10000] [workers=4]
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fmt, runLeadProcess, tempRepo, writePlan } from "./_bench-util.js";

const count = Number(process.argv[2] ?? 10_000);
const workers = Number(process.argv[3] ?? 4);

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** Starts the lead, samples its RSS, resolves on the n-th task.assigned / task.completed event. */
function watchLead(dir) {
  const lead = runLeadProcess(dir);
  const state = { lead, assigned: 0, completed: 0, peakRss: 0, firstAssignAt: undefined, listeners: [] };
  let buffer = "";
  lead.stdout.on("data", (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const event = JSON.parse(line);
        if (event.type === "task.assigned") {
          state.assigned++;
          state.firstAssignAt ??= performance.now();
        }
        if (event.type === "task.completed") state.completed++;
      } catch {
        // not an event line
      }
      for (const listener of state.listeners) listener();
    }
  });
  const sampler = setInterval(() => {
    state.peakRss = Math.max(state.peakRss, rssMb(lead.pid));
  }, 100);
  lead.on("exit", () => clearInterval(sampler));
  state.until = (predicate, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
      const check = () => {
        if (predicate(state)) {
          clearTimeout(timer);
          resolve();
        }
      };
      state.listeners.push(check);
      check();
    });
  return state;
}

const dir = tempRepo();
// Groups of ten: each task depends on the previous one in its group, so the plan has real deps and waves.
const subtasks = Array.from({ length: count }, (_, i) => ({
  id: `t${i}`,
  name: `subtask ${i}`,
  deps: i % 10 === 0 ? [] : [`t${i - 1}`],
  command: ["true"],
}));
writePlan(dir, subtasks, { workers, heartbeat: "1s", stall_timeout: "60s" });
const featuresBytes = statSync(path.join(dir, ".codex", "features.json")).size;

const first = watchLead(dir);
const t0 = performance.now();
await first.until((s) => s.completed >= 40, 300_000);
const firstDispatchMs = (first.firstAssignAt ?? t0) - t0;
process.kill(first.lead.pid, "SIGKILL");
await new Promise((resolve) => first.lead.on("exit", resolve));

const restarted = watchLead(dir);
const t1 = performance.now();
await restarted.until((s) => s.assigned >= 1, 60_000);
const restartDispatchMs = (restarted.firstAssignAt ?? t1) - t1;
await restarted.until((s) => s.completed >= 40, 300_000);
const progressBytes = statSync(path.join(dir, ".codex", "progress.json")).size;
process.kill(-restarted.lead.pid, "SIGTERM");
await new Promise((resolve) => restarted.lead.on("exit", resolve));

const peak = Math.max(first.peakRss, restarted.peakRss);
console.log(`subtasks: ${count}, workers: ${workers}, features.json ${fmt(featuresBytes / 1024)} KiB, progress.json ${fmt(progressBytes / 1024)} KiB at the end`);
console.log(`first dispatch after start: ${fmt(firstDispatchMs, 0)} ms`);
console.log(`lead peak RSS: ${fmt(peak)} MB (goal < 200 MB): ${peak < 200 ? "met" : "NOT met"}`);
console.log(`restart after SIGKILL -> first dispatch: ${fmt(restartDispatchMs, 0)} ms (goal < 3000 ms): ${restartDispatchMs < 3000 ? "met" : "NOT met"}`);

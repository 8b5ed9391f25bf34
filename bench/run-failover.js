// Benchmark (b): from SIGKILL (or SIGSTOP) of a worker to its task running again on another worker.
// Goal: SIGKILL under 1 s median; SIGSTOP under stall timeout + 1 s. Usage: node bench/run-failover.js [rounds=5]
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fmt, median, runLeadProcess, tempRepo, writePlan } from "./_bench-util.js";

const rounds = Number(process.argv[2] ?? 5);
const stallMs = 2000;

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function once(signal) {
  const dir = tempRepo();
  const marks = path.join(dir, ".codex");
  // Attempt 1 marks its start and hangs; attempt 2 marks its start and ends.
  const command = `touch "$CODEX_ROOT/.codex/start-$CODEX_ATTEMPT"; [ "$CODEX_ATTEMPT" -ge 2 ] || sleep 600`;
  writePlan(dir, [{ id: "victim", name: "victim", command }], {
    workers: 2,
    heartbeat: "200ms",
    stall_timeout: `${stallMs}ms`,
    max_attempts: 3,
    backoff: { initial: "100ms", max: "1s" },
  });
  const lead = runLeadProcess(dir);
  try {
    await until("attempt 1 to start", () => existsSync(path.join(marks, "start-1")));
    const progress = JSON.parse(readFileSync(path.join(marks, "progress.json"), "utf8"));
    const pid = progress.workers[progress.tasks.victim.assignee].pid;
    const t0 = performance.now();
    process.kill(pid, signal);
    await until("attempt 2 to start", () => existsSync(path.join(marks, "start-2")), stallMs + 30_000);
    const ms = performance.now() - t0;
    if (signal === "SIGSTOP") {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // already killed by the lead
      }
    }
    await new Promise((resolve) => lead.on("exit", resolve));
    return ms;
  } finally {
    try {
      process.kill(-lead.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

for (const signal of ["SIGKILL", "SIGSTOP"]) {
  const times = [];
  for (let i = 0; i < rounds; i++) times.push(await once(signal));
  const goal = signal === "SIGKILL" ? 1000 : stallMs + 1000;
  console.log(
    `${signal}: median ${fmt(median(times), 0)} ms (runs: ${times.map((t) => fmt(t, 0)).join(", ")}); goal < ${goal} ms${signal === "SIGSTOP" ? ` (stall timeout ${stallMs} ms)` : ""}: ${median(times) < goal ? "met" : "NOT met"}`,
  );
}

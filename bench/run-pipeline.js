// Benchmark (a): N trivial subtasks (each writes one file) through the whole pipeline with W workers,
// against a bare serial shell loop doing the same git work (write, add, commit, tag) per subtask.
// Then the same with each subtask's work taking AGENT_MS (default 500 ms, as a very fast agent would), in both.
// Usage: node bench/run-pipeline.js [subtasks=300] [workers=4] [agentMs=500]
import { execFileSync, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fmt, git, leadBin, tempRepo, writePlan } from "./_bench-util.js";

const count = Number(process.argv[2] ?? 300);
const workers = Number(process.argv[3] ?? 4);
const agentMs = Number(process.argv[4] ?? 500);

function serialLoop(count, sleepS) {
  const dir = tempRepo();
  const script = `
set -e
i=0
while [ $i -lt ${count} ]; do
  ${sleepS > 0 ? `sleep ${sleepS}` : ":"}
  printf 'task %s\\n' "$i" > "out-$i.txt"
  git add "out-$i.txt"
  git commit -q -m "t$i" --trailer "Task: t$i"
  git tag "serial/t$i"
  i=$((i+1))
done`;
  const start = performance.now();
  execFileSync("sh", ["-c", script], { cwd: dir, stdio: "ignore" });
  const seconds = (performance.now() - start) / 1000;
  return { seconds, rate: count / seconds, tags: git(dir, ["tag", "-l", "serial/*"]).split("\n").length };
}

function pipeline(count, sleepS) {
  const dir = tempRepo();
  const subtasks = Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    name: `write out-${i}.txt`,
    command: ["sh", "-c", `${sleepS > 0 ? `sleep ${sleepS}; ` : ""}printf 'task %s\\n' ${i} > out-${i}.txt`],
  }));
  writePlan(dir, subtasks, { workers, heartbeat: "1s", stall_timeout: "60s" });
  const start = performance.now();
  const result = spawnSync(process.execPath, [leadBin, "run"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`run exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const tags = git(dir, ["tag", "-l", "codex/task/*"]).split("\n").filter(Boolean).length;
  const files = git(dir, ["ls-tree", "--name-only", "codex/integration"]).split("\n").filter((f) => f.startsWith("out-")).length;
  return { seconds, rate: count / seconds, tags, files };
}

function compare(label, n, sleepS) {
  const serial = serialLoop(n, sleepS);
  const ours = pipeline(n, sleepS);
  console.log(`${label}: ${n} subtasks, ${workers} workers`);
  console.log(`  serial shell loop : ${fmt(serial.seconds, 2)} s  ${fmt(serial.rate)} subtasks/s  (${serial.tags} tags)`);
  console.log(`  codex-lead run    : ${fmt(ours.seconds, 2)} s  ${fmt(ours.rate)} subtasks/s  (${ours.tags} tags, ${ours.files} files on codex/integration)`);
  console.log(`  ratio (ours/serial): ${fmt(ours.rate / serial.rate, 2)}${sleepS === 0 ? "  (goal >= 1.0)" : ""}`);
  if (ours.tags !== n || ours.files !== n) {
    console.log("  ERROR: not every subtask landed exactly once");
    process.exitCode = 1;
  }
}

compare("trivial subtasks (each writes one file)", count, 0);
if (agentMs > 0) compare(`subtasks whose work takes ${agentMs} ms`, Math.min(count, 60), agentMs / 1000);

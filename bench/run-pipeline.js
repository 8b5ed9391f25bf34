// Benchmark (a): N trivial subtasks (each writes one file) through the whole pipeline with W workers,
// against a bare serial shell loop doing the same git work (write, add, commit, tag) per subtask.
// Then the same with each subtask's work taking AGENT_MS (default 500 ms, as a very fast agent would), in both.
// Besides the rates it prints the CPU time each subtask costs in both (the machine's busy time while it ran), and the
// pipeline's rate on one core (taskset), which tells whether it is bound by CPU, so what more cores would give.
// Usage: node bench/run-pipeline.js [subtasks=300] [workers=4] [agentMs=500]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fmt, git, leadBin, machineBusySeconds, tempRepo, writePlan } from "./_bench-util.js";

const count = Number(process.argv[2] ?? 300);
const workers = Number(process.argv[3] ?? 4);
const agentMs = Number(process.argv[4] ?? 500);
const cores = os.cpus().length;

/**
 * Runs argv and returns wall seconds and CPU seconds (user + system). The CPU is the whole machine's busy time
 * while it ran (so run the bench on an otherwise idle machine): counting only the processes it waited for would
 * miss every process reaped by init instead, such as the git shells of workers that exited before them. Where
 * /proc/stat is missing, the shell's `times` gives the waited-for processes only.
 */
function timed(argv, options = {}) {
  const quoted = argv.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
  const script = `${options.cpus ? `taskset -c ${options.cpus} ` : ""}${quoted} >/dev/null 2>"$CODEX_BENCH_ERR" || exit $?; times`;
  const errFile = path.join(os.tmpdir(), `codex-bench-err-${process.pid}`);
  const busyBefore = machineBusySeconds();
  const start = performance.now();
  const result = spawnSync("sh", ["-c", script], { cwd: options.cwd, encoding: "utf8", env: { ...process.env, CODEX_BENCH_ERR: errFile } });
  const seconds = (performance.now() - start) / 1000;
  const busyAfter = machineBusySeconds();
  const said = result.status !== 0 && existsSync(errFile) ? execFileSync("tail", ["-c", "2000", errFile], { encoding: "utf8" }) : "";
  rmSync(errFile, { force: true });
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${said}`);
  if (busyBefore !== undefined && busyAfter !== undefined) return { seconds, cpu: busyAfter - busyBefore };
  // The second line of `times`: children's user and system time, as 0m1.234s.
  const children = result.stdout.trim().split("\n").pop().trim().split(/\s+/);
  const cpu = children.reduce((sum, t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return sum + (m ? Number(m[1]) * 60 + Number(m[2]) : 0);
  }, 0);
  return { seconds, cpu };
}

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
  const { seconds, cpu } = timed(["sh", "-c", script], { cwd: dir });
  return { seconds, rate: count / seconds, cpuMs: (cpu / count) * 1000, tags: git(dir, ["tag", "-l", "serial/*"]).split("\n").length };
}

/**
 * The git work the pipeline itself needs per subtask, in one shell loop with no coordination at all: the
 * worker's switch of its worktree, the write, add and commit, then the lead's merge (merge-tree, commit-tree)
 * and, every 5 subtasks, one ref transaction for the branch and the tags. Parallel workers can at best
 * multiply this rate by the number of cores: that product bounds what the pipeline can reach here.
 */
function designFloor(count) {
  const dir = tempRepo();
  git(dir, ["worktree", "add", "-q", "-b", "work", path.join(dir, ".codex", "wt"), "HEAD"]);
  const script = `
set -e
wt=.codex/wt
head=$(git rev-parse HEAD)
refs=""
i=0
while [ $i -lt ${count} ]; do
  git -C $wt switch -q --discard-changes -C "w$i" "$head"
  printf 'task %s\n' "$i" > "$wt/out-$i.txt"
  git -C $wt add -A
  git -C $wt commit -q -m "t$i" --trailer "Task: t$i"
  tree=$(git merge-tree --write-tree "$head" "w$i")
  head=$(git commit-tree "$tree" -p "$head" -m "t$i")
  refs="$refs
create refs/tags/floor/t$i $head"
  if [ $((i % 5)) -eq 4 ]; then
    printf 'update refs/heads/integration %s%s\n' "$head" "$refs" | git update-ref --stdin
    refs=""
  fi
  i=$((i+1))
done`;
  const { seconds, cpu } = timed(["sh", "-c", script], { cwd: dir });
  return { seconds, rate: count / seconds, cpuMs: (cpu / count) * 1000 };
}

function pipeline(count, sleepS, cpus) {
  const dir = tempRepo();
  const subtasks = Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    name: `write out-${i}.txt`,
    command: ["sh", "-c", `${sleepS > 0 ? `sleep ${sleepS}; ` : ""}printf 'task %s\\n' ${i} > out-${i}.txt`],
  }));
  writePlan(dir, subtasks, { workers, heartbeat: "1s", stall_timeout: "60s" });
  const { seconds, cpu } = timed([process.execPath, leadBin, "run"], { cwd: dir, cpus });
  const tags = git(dir, ["tag", "-l", "codex/task/*"]).split("\n").filter(Boolean).length;
  const files = git(dir, ["ls-tree", "--name-only", "codex/integration"]).split("\n").filter((f) => f.startsWith("out-")).length;
  return { seconds, rate: count / seconds, cpuMs: (cpu / count) * 1000, tags, files };
}

function compare(label, n, sleepS) {
  const serial = serialLoop(n, sleepS);
  const ours = pipeline(n, sleepS);
  const floor = sleepS === 0 ? designFloor(n) : undefined;
  console.log(`${label}: ${n} subtasks, ${workers} workers`);
  console.log(`  serial shell loop : ${fmt(serial.seconds, 2)} s  ${fmt(serial.rate)} subtasks/s  CPU ${fmt(serial.cpuMs)} ms/subtask  (${serial.tags} tags)`);
  console.log(`  codex-lead run    : ${fmt(ours.seconds, 2)} s  ${fmt(ours.rate)} subtasks/s  CPU ${fmt(ours.cpuMs)} ms/subtask  (${ours.tags} tags, ${ours.files} files on codex/integration)`);
  console.log(`  ratio (ours/serial): ${fmt(ours.rate / serial.rate, 2)}${sleepS === 0 ? "  (goal >= 1.0)" : ""}`);
  if (floor) {
    const bound = floor.rate * Math.min(workers, cores);
    console.log(`  the pipeline's own git work, one shell loop, no coordination: ${fmt(floor.rate)} subtasks/s  CPU ${fmt(floor.cpuMs)} ms/subtask`);
    console.log(`    x ${Math.min(workers, cores)} core(s) = at most ${fmt(bound)} subtasks/s for any coordination: best possible ratio here ${fmt(bound / serial.rate, 2)}`);
  }
  if (sleepS === 0) {
    // CPU-bound, the pipeline's rate is about (cores in use) / (CPU per subtask); matching the serial loop
    // takes serial rate x CPU per subtask cores, and at most `workers` of them can be used.
    const coresNeeded = (ours.cpuMs / 1000) * serial.rate;
    console.log(`  CPU per subtask, ours/serial: ${fmt(ours.cpuMs / serial.cpuMs, 1)}x; matching the serial loop at this cost takes ${fmt(coresNeeded, 1)} busy cores (this machine: ${cores})`);
    if (cores > 1 && hasTaskset()) {
      const single = pipeline(n, 0, "0");
      console.log(`  codex-lead run on 1 core: ${fmt(single.rate)} subtasks/s; on ${cores}: x${fmt(ours.rate / single.rate, 2)} (CPU-bound when close to x${cores})`);
    }
  }
  if (ours.tags !== n || ours.files !== n) {
    console.log("  ERROR: not every subtask landed exactly once");
    process.exitCode = 1;
  }
}

function hasTaskset() {
  return spawnSync("taskset", ["-c", "0", "true"]).status === 0;
}

compare("trivial subtasks (each writes one file)", count, 0);
if (agentMs > 0) compare(`subtasks whose work takes ${agentMs} ms`, Math.min(count, 60), agentMs / 1000);

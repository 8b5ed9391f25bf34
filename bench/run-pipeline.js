// Benchmark (a): N trivial subtasks (each writes one file) through the whole pipeline with W workers,
// against a bare serial shell loop doing the same git work (write, add, commit, tag) per subtask.
// Then the same with each subtask's work taking AGENT_MS (default 500 ms, as a very fast agent would), in both.
// Usage: node bench/run-pipeline.js [subtasks=300] [workers=4] [agentMs=500]
import { execFileSync, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fmt, git, leadBin, tempRepo, writePlan } from "./_bench-util.js";

const count = Number(process.argv[2] ?? 300);
const workers = Number(process.argv[3] ?? 4);
const agentMs = Number(process.argv[4] ?? 500);
const cores = os.cpus().length;

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
  const start = performance.now();
  execFileSync("sh", ["-c", script], { cwd: dir, stdio: "ignore" });
  const seconds = (performance.now() - start) / 1000;
  return { seconds, rate: count / seconds };
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
  const floor = sleepS === 0 ? designFloor(n) : undefined;
  console.log(`${label}: ${n} subtasks, ${workers} workers`);
  console.log(`  serial shell loop : ${fmt(serial.seconds, 2)} s  ${fmt(serial.rate)} subtasks/s  (${serial.tags} tags)`);
  console.log(`  codex-lead run    : ${fmt(ours.seconds, 2)} s  ${fmt(ours.rate)} subtasks/s  (${ours.tags} tags, ${ours.files} files on codex/integration)`);
  console.log(`  ratio (ours/serial): ${fmt(ours.rate / serial.rate, 2)}${sleepS === 0 ? "  (goal >= 1.0)" : ""}`);
  if (floor) {
    const bound = floor.rate * Math.min(workers, cores);
    console.log(`  the pipeline's own git work, one shell loop, no coordination: ${fmt(floor.rate)} subtasks/s`);
    console.log(`    x ${Math.min(workers, cores)} core(s) = at most ${fmt(bound)} subtasks/s for any coordination: best possible ratio here ${fmt(bound / serial.rate, 2)}`);
  }
  if (ours.tags !== n || ours.files !== n) {
    console.log("  ERROR: not every subtask landed exactly once");
    process.exitCode = 1;
  }
}

compare("trivial subtasks (each writes one file)", count, 0);
if (agentMs > 0) compare(`subtasks whose work takes ${agentMs} ms`, Math.min(count, 60), agentMs / 1000);

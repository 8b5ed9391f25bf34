// The chaos suite: one run of 100+ subtasks with deps while workers are SIGKILLed, the lead is SIGKILLed and
// restarted, a worker is SIGSTOPped past its lease, a reader samples every JSON file and a person sends notes
// and blocks/unblocks tasks by editor saves. Then: every subtask completed exactly once, one tag each, the log
// agrees with the state, every sample valid, every edit applied, nothing left behind.
//
// CI mode (default): one scenario, bounded to about a minute. CHAOS_SEED=<n> replays a schedule.
// Soak mode: CHAOS_SOAK=<runs> repeats the scenario with different seeds (and a bigger plan), printing
// per-run figures and totals.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killEverything, runChaos, sameProcessAlive, type ChaosOutcome } from "./helpers/chaos-driver.js";

const soakRuns = Number(process.env.CHAOS_SOAK ?? 0);
/** CHAOS_CALM=1: the same run with no chaos at all, as a baseline for durations on this machine. */
const calm = process.env.CHAOS_CALM === "1";
const baseSeed = process.env.CHAOS_SEED !== undefined ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);

interface Figures {
  seed: number;
  runs: number;
  subtasks: number;
  kills: number;
  leadKills: number;
  stops: number;
  edits: number;
  lostEdits: number;
  notes: number;
  samples: number;
  violations: number;
  durationMs: number;
}
const figures: Figures[] = [];

afterAll(() => {
  killEverything();
  if (figures.length > 1) {
    const sum = (key: keyof Figures) => figures.reduce((total, f) => total + f[key], 0);
    console.log(
      `chaos soak totals: ${figures.length} runs passed · lead starts ${sum("runs")} · subtasks ${sum("subtasks")} · worker kills ${sum("kills")} · lead kills ${sum("leadKills")} · stops ${sum("stops")} · edits ${sum("edits")} (lost ${sum("lostEdits")}) · notes ${sum("notes")} · samples ${sum("samples")} · violations ${sum("violations")} · ${Math.round(sum("durationMs") / 1000)} s`,
    );
  }
});

function git(outcome: ChaosOutcome, args: string[]): string {
  return outcome.repo.git(args);
}

function isAncestor(outcome: ChaosOutcome, commit: string, ref: string): boolean {
  try {
    git(outcome, ["merge-base", "--is-ancestor", commit, ref]);
    return true;
  } catch {
    return false;
  }
}

/** Every name under `dir` (recursively) for which `match` holds. */
function findUnder(dir: string, match: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (match(entry.name)) found.push(full);
    if (entry.isDirectory() && !entry.name.endsWith(".lock") && entry.name !== "worktrees") found.push(...findUnder(full, match));
  }
  return found;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function scenario(seed: number, chains: number, layers: number, deadlineMs: number): Promise<void> {
  console.log(`chaos seed ${seed} (replay: CHAOS_SEED=${seed}${soakRuns ? "" : ""}) · ${chains * layers} subtasks`);
  const outcome = await runChaos({
    seed,
    chains,
    layers,
    workers: 5,
    heartbeat: "200ms",
    stallTimeoutMs: 2000,
    maxAttempts: 20,
    deadlineMs,
    log: process.env.CHAOS_VERBOSE ? (line) => console.log(line) : undefined,
    calm,
  });
  const { repo, subtasks, final } = outcome;
  const story = () => `seed ${seed}\n${outcome.timeline.join("\n")}\n--- final lead:\n${final.describe()}`;
  const ids = subtasks.map((s) => s.id);

  // The scenario did what it says: two lead kills at least, a stop, worker kills, edits, notes, samples.
  expect(final.exit, story()).toEqual({ code: 0, signal: null });
  if (!calm) {
    expect(outcome.leadKills, story()).toBeGreaterThanOrEqual(2);
    expect(outcome.runs).toBeGreaterThanOrEqual(outcome.leadKills + 1);
    expect(outcome.stops, story()).toBeGreaterThanOrEqual(1);
    expect(outcome.workerKills, story()).toBeGreaterThan(0);
    expect(outcome.edits.filter((e) => e.kind === "block" && e.applied).length, story()).toBeGreaterThan(0);
    expect(outcome.notes.length).toBeGreaterThan(0);
  }
  expect(outcome.reader.samples).toBeGreaterThan(100);

  // Every subtask completed, in progress.json and in the final run's own count.
  const progress = repo.progress();
  const notCompleted = ids.filter((id) => progress.tasks[id]?.status !== "completed").map((id) => `${id}: ${progress.tasks[id]?.status ?? "missing"} ${progress.tasks[id]?.reason ?? ""}`);
  expect(notCompleted, story()).toEqual([]);
  expect(final.finished().snapshot.counts.completed).toBe(ids.length);

  // Exactly one tag per subtask, on distinct commits, all reachable from the integration branch.
  const tags = repo.tags();
  expect([...tags.keys()].sort()).toEqual(ids.map((id) => `codex/task/${id}`).sort());
  const tagged = ids.map((id) => tags.get(`codex/task/${id}`) ?? "");
  expect(new Set(tagged).size).toBe(ids.length);
  const unreachable = ids.filter((id) => !isAncestor(outcome, tags.get(`codex/task/${id}`) ?? "", "refs/heads/codex/integration"));
  expect(unreachable, story()).toEqual([]);
  for (const id of ids) expect(progress.tasks[id]?.commit, id).toBe(tags.get(`codex/task/${id}`));

  // Exactly one commit with a `Task: <id>` trailer per subtask on the integration branch (first parent), the tagged one.
  const log = git(outcome, ["log", "--first-parent", "--format=%H %(trailers:key=Task,valueonly,separator=%x2C)", "refs/heads/codex/integration"]);
  const trailerCommits = new Map<string, string[]>();
  for (const line of log.split("\n").filter(Boolean)) {
    const [sha = "", task] = line.split(" ");
    if (task) trailerCommits.set(task, [...(trailerCommits.get(task) ?? []), sha]);
  }
  expect([...trailerCommits.keys()].sort()).toEqual([...ids].sort());
  const notOnce = ids.filter((id) => trailerCommits.get(id)?.length !== 1 || trailerCommits.get(id)?.[0] !== tags.get(`codex/task/${id}`));
  expect(notOnce.map((id) => `${id}: ${trailerCommits.get(id)?.join(",")} tag ${tags.get(`codex/task/${id}`)}`), story()).toEqual([]);

  // Each subtask's effect exactly once in the final tree: out/<id>.txt with one line (its deps were in its
  // base), and exactly one uniquely named runs/<id>/a<attempt>-<pid> — an attempt landing twice would add a second.
  const files = git(outcome, ["ls-tree", "-r", "--name-only", "refs/heads/codex/integration"]).split("\n").filter(Boolean);
  const outs = files.filter((f) => f.startsWith("out/"));
  expect(outs.sort()).toEqual(ids.map((id) => `out/${id}.txt`).sort());
  const badEffects: string[] = [];
  for (const id of ids) {
    const text = repo.show("refs/heads/codex/integration", `out/${id}.txt`);
    if (text !== `${id}\n`) badEffects.push(`out/${id}.txt: ${JSON.stringify(text)}`);
    const marks = files.filter((f) => f.startsWith(`runs/${id}/`));
    if (marks.length !== 1) badEffects.push(`runs/${id}/: ${marks.join(", ") || "nothing"}`);
  }
  expect(badEffects, story()).toEqual([]);

  // No sample of any JSON file was ever torn or invalid.
  expect(outcome.reader.details, story()).toEqual([]);
  expect(outcome.reader.violations).toBe(0);

  // events.jsonl: every line parses; every completed task has a status event to completed; the last status event
  // of each task agrees with its final status.
  const eventsText = readFileSync(path.join(repo.dir, "events.jsonl"), "utf8");
  const lines = eventsText.split("\n");
  expect(lines.at(-1)).toBe("");
  const events: Record<string, unknown>[] = [];
  const unparsable: string[] = [];
  for (const line of lines.slice(0, -1)) {
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      unparsable.push(line);
    }
  }
  expect(unparsable).toEqual([]);
  const statusEvents = events.filter((e) => e["type"] === "task.status");
  const eventProblems: string[] = [];
  for (const id of ids) {
    const mine = statusEvents.filter((e) => e["task"] === id);
    if (!mine.some((e) => e["to"] === "completed")) eventProblems.push(`${id}: no task.status event to completed`);
    const last = mine.at(-1);
    if (last?.["to"] !== progress.tasks[id]?.status) eventProblems.push(`${id}: last status event ${JSON.stringify(last)} vs ${progress.tasks[id]?.status}`);
  }
  expect(eventProblems, story()).toEqual([]);

  // Each SIGSTOPped worker was judged on its lease: its attempt ended as stalled (or it was dead by SIGCONT) —
  // unless it had handed its attempt off just before the stop (then the attempt completed, as it should).
  const stalledEvent = (stop: (typeof outcome.stopRecords)[number]) =>
    statusEvents.some((e) => e["task"] === stop.task && e["attempt"] === stop.attempt && e["worker"] === stop.worker && String(e["reason"] ?? "").startsWith("stalled"));
  const handedOff = (stop: (typeof outcome.stopRecords)[number]) =>
    events.some((e) => e["type"] === "attempt.handoff" && e["task"] === stop.task && e["attempt"] === stop.attempt && e["worker"] === stop.worker);
  const unjudged = outcome.stopRecords.filter((stop) => stop.aliveAtCont !== false && !stalledEvent(stop) && !handedOff(stop));
  expect(unjudged, story()).toEqual([]);
  if (!calm) expect(outcome.stopRecords.filter((stop) => stalledEvent(stop) || stop.aliveAtCont === false).length, story()).toBeGreaterThan(0);

  // Every person's edit applied: each block was seen (samples or events) with the person's reason, its unblock
  // was applied on a blocked task, and the task ends completed; each note is in its inbox with its id.
  // A save of the person's that lands while one of ours is in its last microseconds (after our final check, before
  // our rename) is replaced by ours: no userland check can see it (that needs renameat2; DESIGN.md,
  // docs/benchmarks.md measure it at ~1% of person saves at ~100 of our writes a second). Such a lost edit
  // shows as a block the unblock did not find, or an unblock after which the task was blocked still (the person
  // unblocked it again). Those are counted, shown and bounded; anything else is a failure.
  const editProblems: string[] = [];
  const lostEdits: string[] = [];
  const blocks = outcome.edits.filter((e) => e.kind === "block" && e.applied);
  for (const block of blocks) {
    const nextBlock = outcome.edits.find((e) => e.kind === "block" && e.applied && e.task === block.task && e.at > block.at);
    const unblocks = outcome.edits.filter((e) => e.kind === "unblock" && e.task === block.task && e.at >= block.at && (!nextBlock || e.at < nextBlock.at));
    const first = unblocks[0];
    if (!first) {
      editProblems.push(`${block.task}: blocked (${block.reason}) and never unblocked`);
    } else if (!first.applied) {
      lostEdits.push(`block of ${block.task} (${block.reason}): the unblock found it ${first.found}`);
    } else {
      const seen = (outcome.reader.blockedSeen[block.task] ?? []).includes(block.reason ?? "");
      if (!seen) editProblems.push(`${block.task}: the block (${block.reason}) was applied but never seen by the reader`);
      if (unblocks.some((u) => u.again)) lostEdits.push(`unblock of ${block.task} (${block.reason}): still blocked when the run ended`);
    }
    if (progress.tasks[block.task]?.status !== "completed") editProblems.push(`${block.task}: ends ${progress.tasks[block.task]?.status}`);
  }
  outcome.lostEdits = lostEdits;
  for (const sent of outcome.notes) {
    if (sent.code !== 0 || !sent.id) {
      editProblems.push(`note to ${sent.task}: send exited ${sent.code}: ${sent.stderr.trim()}`);
      continue;
    }
    const inbox = repo.inbox(sent.task);
    const found = inbox.messages.filter((m) => m.id === sent.id);
    if (found.length !== 1 || found[0]?.kind !== "note" || found[0]?.text !== sent.text) editProblems.push(`note ${sent.id} to ${sent.task}: ${JSON.stringify(found)}`);
  }
  expect(editProblems, story()).toEqual([]);
  if (lostEdits.length > 0) console.log(`chaos seed ${seed}: ${lostEdits.length} person edit(s) lost to the rename window:\n  ${lostEdits.join("\n  ")}`);
  expect(lostEdits.length, `${lostEdits.join("\n")}\n${story()}`).toBeLessThanOrEqual(Math.max(2, Math.ceil(outcome.edits.length * 0.05)));

  // Nothing left behind once the final run exited: no process (wait a little for workers of killed leads, which
  // exit once idle), no lock, no worktree.
  await until("every process in the repository to be gone", () => repo.processes().length === 0, 10_000).catch(() => undefined);
  const seenPids = new Map<number, string>([...Object.entries(outcome.reader.pids).map(([pid, p]) => [Number(pid), p.start] as const), ...outcome.touched]);
  for (const [id, w] of Object.entries(progress.workers ?? {})) {
    if (!seenPids.has(w.pid)) seenPids.set(w.pid, "");
    void id;
  }
  const alive = [...seenPids].filter(([pid, start]) => sameProcessAlive(pid, start)).map(([pid]) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").slice(0, 200)}`);
  expect(alive, story()).toEqual([]);
  expect(repo.processes()).toEqual([]);
  // Owner records (*.lock.owner) stay by design: each names a lock directory that is gone.
  const locks = findUnder(repo.dir, (name) => name.endsWith(".lock") || name.includes(".lock.dead-"));
  expect(locks.map((f) => path.relative(repo.dir, f)), story()).toEqual([]);
  const worktrees = git(outcome, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l.startsWith("worktree "));
  expect(worktrees, story()).toEqual([`worktree ${repo.root}`]);
  const worktreeDir = path.join(repo.dir, "worktrees");
  expect(existsSync(worktreeDir) ? readdirSync(worktreeDir) : []).toEqual([]);

  console.log(`chaos seed ${seed}: at most ${outcome.maxLiveWorkers} worker processes alive at once`);
  const f: Figures = {
    seed,
    runs: outcome.runs,
    subtasks: ids.length,
    kills: outcome.workerKills,
    leadKills: outcome.leadKills,
    stops: outcome.stops,
    edits: outcome.edits.length,
    lostEdits: outcome.lostEdits?.length ?? 0,
    notes: outcome.notes.length,
    samples: outcome.reader.samples,
    violations: outcome.reader.violations,
    durationMs: outcome.durationMs,
  };
  figures.push(f);
  console.log(
    `chaos seed ${seed}: runs (lead starts) ${f.runs} · subtasks ${f.subtasks} · worker kills ${f.kills} · lead kills ${f.leadKills} · stops ${f.stops} · edits ${f.edits} (lost ${f.lostEdits}) · notes ${f.notes} · samples ${f.samples} · violations ${f.violations} · ${(f.durationMs / 1000).toFixed(1)} s`,
  );
}

describe("chaos: kills, stops, readers and people during one run", () => {
  if (soakRuns > 0) {
    for (let run = 0; run < soakRuns; run++) {
      it(`soak run ${run + 1}/${soakRuns}`, async () => {
        await scenario(baseSeed + run, 10, 10, 240_000);
      }, 300_000);
    }
  } else {
    it("every subtask completes exactly once; nothing torn, lost or left behind", async () => {
      await scenario(baseSeed, 10, 10, 120_000);
    }, 180_000);
  }
});

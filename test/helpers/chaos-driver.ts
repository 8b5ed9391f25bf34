// The chaos scenario: one `codex-lead run` over a plan of 100+ subtasks with deps, while a seeded schedule
// SIGKILLs workers, SIGKILLs and restarts the lead, SIGSTOPs a worker past its lease (SIGCONT later), a reader
// process samples every JSON file, and a simulated person sends notes and blocks/unblocks tasks by editor-style
// saves of progress.json. Returns what happened, for the test to check the end state against.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProgressFile } from "../../src/schema/progress.js";
import { fixture, isAlive, killGroup, node, recordedWorkerAlive, RunRepo, signal, type LeadRun, type SubtaskSpec } from "./run-harness.js";
import { leadBin } from "./temp.js";

/** A small seeded PRNG (mulberry32): the same seed gives the same schedule of decisions. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChaosSettings {
  seed: number;
  /** The plan: `chains` × `layers` subtasks; a subtask depends on the one before it in its chain and, often, the neighbour chain's. */
  chains: number;
  layers: number;
  workers: number;
  heartbeat: string;
  stallTimeoutMs: number;
  maxAttempts: number;
  /** The whole run (every lead start) must be over by then. */
  deadlineMs: number;
  /** Lead SIGKILLs at these completed fractions (at least two), plus one quick kill right after a restart on some seeds. */
  leadKillsAt?: number[];
  log?: (line: string) => void;
  /** No chaos at all (a baseline to compare durations with). */
  calm?: boolean;
}

export interface ReaderStats {
  samples: number;
  violations: number;
  torn: number;
  invalid: number;
  passes: number;
  files: Record<string, number>;
  details: { kind: string; file: string; message: string; size: number; head: string; tail: string }[];
  blockedSeen: Record<string, string[]>;
  pids: Record<string, { kind: string; start: string }>;
  startedAt: number;
  endedAt: number;
}

export interface PersonEdit {
  kind: "block" | "unblock";
  task: string;
  reason?: string;
  /** ms since the scenario started. */
  at: number;
  /** The status the person found in the file before changing it. */
  found: string;
  applied: boolean;
  /** An unblock made again because the first one was lost (the run ended waiting on the task). */
  again?: boolean;
}

export interface PersonNote {
  task: string;
  text: string;
  id: string;
  code: number | null;
  stderr: string;
}

export interface StopRecord {
  worker: string;
  pid: number;
  task: string;
  attempt: number;
  at: number;
  contAt?: number;
  /** Whether the process was still there when SIGCONT came (the lead should have killed it on its lease). */
  aliveAtCont?: boolean;
}

export interface ChaosOutcome {
  repo: RunRepo;
  seed: number;
  subtasks: SubtaskSpec[];
  /** Lead starts. */
  runs: number;
  leadKills: number;
  workerKills: number;
  stops: number;
  stopRecords: StopRecord[];
  conts: number;
  edits: PersonEdit[];
  notes: PersonNote[];
  reader: ReaderStats;
  leads: LeadRun[];
  final: LeadRun;
  durationMs: number;
  /** Pids the driver signalled (workers) or started (leads), with their /proc start time. */
  touched: Map<number, string>;
  timeline: string[];
  /** Filled in by the test: person edits lost to the rename window. */
  lostEdits?: string[];
  /** The most worker processes seen alive at once (entries of progress.json whose pid is alive). */
  maxLiveWorkers: number;
}

/** Everything the chaos started, so the test can kill it whatever happens. */
export const started = {
  groups: new Set<number>(),
  readers: new Set<ChildProcess>(),
};

export function killEverything(): void {
  for (const pid of started.groups) killGroup(pid);
  for (const child of started.readers) if (child.pid && child.exitCode === null) killGroup(child.pid);
}

export function chaosPlan(settings: Pick<ChaosSettings, "seed" | "chains" | "layers">): SubtaskSpec[] {
  const random = prng(settings.seed ^ 0x5eed);
  const id = (chain: number, layer: number) => `c${String(chain).padStart(2, "0")}-l${String(layer).padStart(2, "0")}`;
  const subtasks: SubtaskSpec[] = [];
  // Layer by layer, so plan order (the scheduling order) follows the waves.
  for (let layer = 0; layer < settings.layers; layer++) {
    for (let chain = 0; chain < settings.chains; chain++) {
      const deps: string[] = [];
      if (layer > 0) {
        deps.push(id(chain, layer - 1));
        if (random() < 0.5) deps.push(id((chain + 1) % settings.chains, layer - 1));
        if (layer > 1 && random() < 0.2) deps.push(id((chain + 2) % settings.chains, layer - 2));
      }
      const unique = [...new Set(deps)];
      const me = id(chain, layer);
      // A shell command (no node start per attempt: on a loaded 2-core machine that alone costs ~0.5 s). It
      // sleeps 50–300 ms (so kills land mid-task), checks that every dep's output is in its base, appends its id
      // as a new line to out/<id>.txt and writes one uniquely named file runs/<id>/a<attempt>-<pid>: an attempt
      // landing twice would show as a second line or a second file in the final tree.
      const sleep = (50 + Math.floor(random() * 251)) / 1000;
      const command = [
        `sleep ${sleep}`,
        `mkdir -p out runs/${me}`,
        `missing=""`,
        ...(unique.length > 0 ? [`for dep in ${unique.join(" ")}; do [ -f "out/$dep.txt" ] || missing="$missing $dep"; done`] : []),
        `if [ -z "$missing" ]; then echo ${me} >> out/${me}.txt; else echo "${me} (deps missing from the base:$missing)" >> out/${me}.txt; fi`,
        `echo "${me} attempt $CODEX_ATTEMPT" > "runs/${me}/a$CODEX_ATTEMPT-$$"`,
      ].join("; ");
      subtasks.push({ id: me, deps: unique, command });
    }
  }
  return subtasks;
}

function startTime(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/** Alive and still the same process (same /proc start time), zombies counted dead. */
export function sameProcessAlive(pid: number, start: string): boolean {
  if (!isAlive(pid)) return false;
  const now = startTime(pid);
  return start === "" || now === "" || now === start;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The person's save, as an editor does it: read, change, write a temp file beside it, rename over it. No lock. */
function editorSave(file: string, change: (progress: ProgressFile) => boolean): boolean {
  const progress = JSON.parse(readFileSync(file, "utf8")) as ProgressFile;
  if (!change(progress)) return false;
  const temp = `${file}.chaos-edit~`;
  writeFileSync(temp, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(temp, file);
  return true;
}

function readProgress(repo: RunRepo): ProgressFile | undefined {
  try {
    return repo.progress();
  } catch {
    return undefined; // the reader counts torn or invalid samples; the driver only steers by it
  }
}

export async function runChaos(settings: ChaosSettings): Promise<ChaosOutcome> {
  const log = settings.log ?? (() => undefined);
  const random = prng(settings.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(random() * items.length)]);
  const subtasks = chaosPlan(settings);
  const total = subtasks.length;
  const byId = new Map(subtasks.map((s) => [s.id, s]));
  const repo = await RunRepo.create(subtasks, {
    workers: settings.workers,
    heartbeat: settings.heartbeat,
    stall_timeout: `${settings.stallTimeoutMs}ms`,
    max_attempts: settings.maxAttempts,
    backoff: { initial: "50ms", max: "500ms", factor: 2 },
    task_timeout: "60s",
    lock_stale: "2s",
    fsync: false,
  });
  const progressFile = path.join(repo.dir, "progress.json");
  const t0 = Date.now();
  const timeline: string[] = [];
  const note = (line: string) => {
    const entry = `${String(Date.now() - t0).padStart(6)}ms ${line}`;
    timeline.push(entry);
    log(entry);
  };
  const touched = new Map<number, string>();
  const touch = (pid: number) => {
    if (!touched.has(pid)) touched.set(pid, startTime(pid));
  };

  // The reader: its own process, so that sampling never waits on this test's event loop.
  const statsFile = path.join(repo.root, "chaos-reader.json");
  const stopFile = path.join(repo.root, "chaos-reader.stop");
  const reader = spawn(node, [fixture("chaos-reader.mjs"), repo.dir, statsFile, stopFile], { cwd: repo.root, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  started.readers.add(reader);
  let readerErr = "";
  reader.stderr?.setEncoding("utf8").on("data", (chunk: string) => (readerErr += chunk));
  const readerExit = new Promise<number | null>((resolve) => reader.once("close", (code) => resolve(code)));
  if (reader.pid) started.groups.add(reader.pid);

  const leads: LeadRun[] = [];
  const killedLeads = new Set<LeadRun>();
  const startLead = (): LeadRun => {
    const run = repo.start();
    leads.push(run);
    started.groups.add(run.pid);
    touch(run.pid);
    note(`lead #${leads.length} started (pid ${run.pid})`);
    return run;
  };

  const leadKillsAt = settings.calm ? [] : (settings.leadKillsAt ?? [0.15 + random() * 0.2, 0.5 + random() * 0.2]);
  const quickKill = random() < 0.5; // once: kill a freshly restarted lead while it recovers
  let quickKillDone = !quickKill || settings.calm === true;
  const stopsAt = settings.calm ? [] : [0.05 + random() * 0.25, ...(random() < 0.5 ? [0.55 + random() * 0.2] : [])];
  let leadKills = 0;
  let leadKillStep = 0;
  let workerKills = 0;
  let stops = 0;
  let conts = 0;
  const edits: PersonEdit[] = [];
  const notes: PersonNote[] = [];
  const pendingConts: { pid: number; at: number }[] = [];
  const stopRecords: StopRecord[] = [];
  const pendingUnblocks: { task: string; at: number }[] = [];
  const stopped = new Set<number>();
  let sending = 0;
  const sends: Promise<void>[] = [];
  const never = Number.MAX_SAFE_INTEGER;
  let next = settings.calm ? { workerKill: never, note: never, block: never } : { workerKill: t0 + between(600, 1500), note: t0 + between(300, 900), block: t0 + between(400, 1500) };
  let restartAt: number | undefined;
  let killAtCompleted = between(1, 4);
  let maxLiveWorkers = 0;
  let lead: LeadRun | undefined = startLead();
  let leadStartedAt = Date.now();
  let final: LeadRun | undefined;
  const deadline = t0 + settings.deadlineMs;

  const personReason = "chaos: held by a person";
  const blockedAll = (p: ProgressFile | undefined) => Object.entries(p?.tasks ?? {}).filter(([, t]) => t.status === "blocked").map(([id]) => id);
  const blockedByPerson = (p: ProgressFile | undefined) =>
    Object.entries(p?.tasks ?? {}).filter(([, t]) => t.status === "blocked" && (t.reason ?? "").startsWith(personReason)).map(([id]) => id);
  let reunblocks = 0;
  const unblock = (task: string, again = false): void => {
    let found = "missing";
    const applied = editorSave(progressFile, (progress) => {
      const state = progress.tasks[task];
      found = state?.status ?? "missing";
      if (!state || state.status !== "blocked") return false;
      state.status = "not_started";
      delete state.reason;
      return true;
    });
    edits.push({ kind: "unblock", task, at: Date.now() - t0, found, applied, ...(again ? { again: true } : {}) });
    note(`person: unblock ${task} (found ${found}${applied ? "" : ", NOT applied"})`);
  };

  try {
    for (;;) {
      const now = Date.now();
      if (now > deadline) {
        throw new Error(`chaos run not over after ${settings.deadlineMs} ms (seed ${settings.seed})\n${lead?.describe() ?? leads.at(-1)?.describe() ?? ""}\n${timeline.slice(-40).join("\n")}`);
      }
      const progress = readProgress(repo);
      const status = (id: string) => progress?.tasks[id]?.status ?? "not_started";
      const completed = subtasks.filter((s) => status(s.id) === "completed").length;

      // The lead: finished, killed by us (restart it after a moment), or ended for a reason of its own.
      if (lead?.exit) {
        const exit = lead.exit;
        if (killedLeads.has(lead)) {
          restartAt ??= now + between(100, 700);
          lead = undefined;
        } else if (exit.code === 0) {
          note(`lead #${leads.length} exited 0`);
          final = lead;
          break;
        } else if (exit.code === 4 && pendingUnblocks.length > 0) {
          // Only what the person blocked is left: the run ends waiting for a person, who unblocks and runs again.
          note(`lead #${leads.length} exited 4 (waiting for a person): unblocking now and starting again`);
          for (const due of pendingUnblocks.splice(0)) unblock(due.task);
          lead = undefined;
          restartAt = now;
        } else if (exit.code === 4 && blockedByPerson(progress).length > 0 && blockedByPerson(progress).length === blockedAll(progress).length && reunblocks < 5) {
          // The person's unblock was lost (see lostEdits): the run waits on tasks only the person blocked.
          // Like a person reading "waiting for a person", unblock them again — counted, and checked by the test.
          for (const task of blockedByPerson(progress)) {
            reunblocks++;
            note(`lead #${leads.length} exited 4: ${task} is still blocked by the person — unblocking it again`);
            unblock(task, true);
          }
          lead = undefined;
          restartAt = now;
        } else {
          const blocked = Object.entries(progress?.tasks ?? {}).filter(([, t]) => t.status === "blocked").map(([id]) => id);
          const history = repo.auditEvents().filter((e) => blocked.includes(String(e["task"])) && e["type"] === "task.status").map((e) => JSON.stringify(e));
          throw new Error(`lead exited ${exit.code ?? exit.signal} (seed ${settings.seed})\n${lead.describe()}\n${timeline.join("\n")}\nstatus events of blocked tasks:\n${history.join("\n")}`);
        }
      }
      if (!lead && restartAt !== undefined && now >= restartAt) {
        restartAt = undefined;
        lead = startLead();
        leadStartedAt = now;
      }

      // Lead SIGKILLs: at the scheduled completed fractions, and once during a restart's recovery.
      if (lead && !lead.exit && !killedLeads.has(lead)) {
        const up = now - leadStartedAt;
        const due = leadKillStep < leadKillsAt.length && completed >= (leadKillsAt[leadKillStep] ?? 1) * total && up > 500;
        const quick = !quickKillDone && leads.length >= 2 && up >= 150 + (settings.seed % 500);
        if (due || quick) {
          if (due) leadKillStep++;
          else quickKillDone = true;
          signal(lead.pid, "SIGKILL");
          killedLeads.add(lead);
          leadKills++;
          note(`SIGKILL lead #${leads.length} (pid ${lead.pid}) at ${completed}/${total} completed${quick && !due ? " (while it recovers)" : ""}`);
        }
      }

      // Worker SIGKILLs throughout, mostly of busy workers (so they land mid-task).
      const live = Object.entries(progress?.workers ?? {}).filter(([, w]) => w.status !== "exited" && !stopped.has(w.pid) && recordedWorkerAlive(w));
      // Paced by completions (one kill every 2–6 completions, at least 800 ms apart, and at least one every 6 s),
      // so the chaos scales with the machine's speed instead of starving a slow one.
      const killDue = (completed >= killAtCompleted && now >= next.workerKill) || now >= next.workerKill + 6000;
      if (killDue && progress && !settings.calm) {
        const busy = live.filter(([, w]) => w.status === "busy" || w.task);
        const victim = pick(random() < 0.8 && busy.length > 0 ? busy : live);
        if (victim) {
          const [id, w] = victim;
          touch(w.pid);
          signal(w.pid, "SIGKILL");
          live.splice(live.indexOf(victim), 1);
          workerKills++;
          note(`SIGKILL worker ${id} (pid ${w.pid}, ${w.status}, task ${w.task ?? "-"}) at ${completed}/${total}`);
        }
        next.workerKill = now + 800;
        killAtCompleted = completed + between(2, 6);
      }
      maxLiveWorkers = Math.max(maxLiveWorkers, live.length);

      // SIGSTOP a busy worker past its lease; SIGCONT it later (the lead should have killed it by then).
      if (stops < stopsAt.length && completed >= (stopsAt[stops] ?? 1) * total && lead && !lead.exit) {
        const victim = pick(live.filter(([, w]) => w.status === "busy" && w.task));
        if (victim) {
          const [id, w] = victim;
          touch(w.pid);
          signal(w.pid, "SIGSTOP");
          stopped.add(w.pid);
          stops++;
          pendingConts.push({ pid: w.pid, at: now + settings.stallTimeoutMs + between(500, 2500) });
          stopRecords.push({ worker: id, pid: w.pid, task: w.task ?? "", attempt: w.attempt ?? 0, at: now - t0 });
          note(`SIGSTOP worker ${id} (pid ${w.pid}, task ${w.task ?? "-"})`);
        }
      }
      // SIGCONT once the lead has judged the stopped worker (its attempt moved on, or it was killed), or after
      // a bounded wait: a lead restarted meanwhile starts its lease clock afresh.
      const judged = (pid: number) => {
        const record = stopRecords.find((r) => r.pid === pid && r.contAt === undefined);
        const state = record ? progress?.tasks[record.task] : undefined;
        return !isAlive(pid) || (state !== undefined && (state.attempt !== record?.attempt || state.assignee !== record?.worker || state.status !== "in_progress"));
      };
      for (const due of pendingConts.filter((c) => c.at <= now && (judged(c.pid) || now >= c.at + 12_000))) {
        pendingConts.splice(pendingConts.indexOf(due), 1);
        const alive = isAlive(due.pid);
        const record = stopRecords.find((r) => r.pid === due.pid && r.contAt === undefined);
        if (record) {
          record.contAt = now - t0;
          record.aliveAtCont = alive;
        }
        signal(due.pid, "SIGCONT");
        stopped.delete(due.pid);
        conts++;
        note(`SIGCONT pid ${due.pid} (${alive ? "still alive" : "already dead"})`);
      }

      // The person: notes through `codex-lead send` (async, one at a time).
      if (now >= next.note && sending === 0) {
        const task = pick(subtasks)?.id ?? subtasks[0]!.id;
        const text = `chaos note ${notes.length + 1} for ${task} (seed ${settings.seed})`;
        sending++;
        sends.push(
          new Promise<void>((resolve) => {
            const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CODEX_")));
            const child = spawn(node, [leadBin, "send", task, text], { cwd: repo.root, stdio: ["ignore", "pipe", "pipe"], env: clean });
            let stdout = "";
            let stderr = "";
            child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
            child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
            const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
            child.once("close", (code) => {
              clearTimeout(timer);
              notes.push({ task, text, id: stdout.trim(), code, stderr });
              sending--;
              resolve();
            });
          }),
        );
        next.note = settings.calm ? never : now + between(400, 1200);
      }

      // The person blocks a task that has not started (and cannot start yet: a dep is not done), then unblocks it.
      if (now >= next.block && progress && completed < 0.75 * total) {
        const ours = new Set(pendingUnblocks.map((u) => u.task));
        const candidates = subtasks.filter((s) => {
          const state = progress.tasks[s.id];
          const fresh = !state || (state.status === "not_started" && !state.attempt);
          return fresh && !ours.has(s.id) && (s.deps ?? []).some((dep) => status(dep) !== "completed");
        });
        const target = pick(candidates);
        if (target) {
          const reason = `${personReason} (edit ${edits.length + 1}, seed ${settings.seed})`;
          let found = "missing";
          const applied = editorSave(progressFile, (draft) => {
            const state = draft.tasks[target.id];
            found = state?.status ?? "missing";
            if (state && (state.status !== "not_started" || state.attempt) && state.status !== "failed") return false;
            draft.tasks[target.id] = { ...(state ?? {}), status: "blocked", reason };
            return true;
          });
          edits.push({ kind: "block", task: target.id, reason, at: now - t0, found, applied });
          note(`person: block ${target.id} (found ${found}${applied ? "" : ", not applied: it started meanwhile"})`);
          if (applied) pendingUnblocks.push({ task: target.id, at: now + between(800, 2500) });
        }
        next.block = settings.calm ? never : now + between(800, 2500);
      }
      for (const due of pendingUnblocks.filter((u) => u.at <= now)) {
        pendingUnblocks.splice(pendingUnblocks.indexOf(due), 1);
        unblock(due.task);
      }
      await sleep(25);
    }
  } finally {
    // Whatever happened: nothing stays stopped, the person's sends end, the reader stops and reports.
    for (const c of pendingConts.splice(0)) signal(c.pid, "SIGCONT");
    await Promise.race([Promise.all(sends), sleep(20_000)]);
    writeFileSync(stopFile, "stop\n");
    await Promise.race([readerExit, sleep(10_000)]);
    if (reader.exitCode === null && reader.pid) killGroup(reader.pid);
  }
  void byId;
  if (!existsSync(statsFile)) throw new Error(`the reader wrote no stats: ${readerErr}`);
  const stats = JSON.parse(readFileSync(statsFile, "utf8")) as ReaderStats;
  if (readerErr.trim()) throw new Error(`the reader failed: ${readerErr}`);
  return {
    repo,
    seed: settings.seed,
    subtasks,
    runs: leads.length,
    leadKills,
    workerKills,
    stops,
    stopRecords,
    conts,
    edits,
    notes,
    reader: stats,
    leads,
    final: final!,
    durationMs: Date.now() - t0,
    touched,
    timeline,
    maxLiveWorkers,
  };
}

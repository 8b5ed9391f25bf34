// How a run looks: one progress line redrawn in place on a terminal, plain lines otherwise, NDJSON with --json.
import type { RunEvent, RunSnapshot } from "../lead/run-events.js";
import { formatDuration } from "../util/duration.js";
import { visible } from "../util/terminal-text.js";
import type { Output } from "./output.js";

export interface LineOptions {
  /** What the units are called ("rows" for a CSV job); shown after the counts. */
  noun?: string | undefined;
  /** Completions per second in this run; when given, shown and used for the ETA. */
  rate?: number | undefined;
}

export function progressLine(snapshot: RunSnapshot, width = 20, options: LineOptions = {}): string {
  const { counts, total } = snapshot;
  const done = counts.completed;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const noun = options.noun ? ` ${options.noun}` : "";
  const remaining = counts.not_started + counts.in_progress;
  const etaMs = options.rate !== undefined && options.rate > 0 ? (remaining / options.rate) * 1000 : snapshot.etaMs;
  const eta = etaMs === undefined ? "ETA unknown" : `ETA ~${formatDuration(etaMs)} (estimate)`;
  const parts = [
    `[${bar}] ${done}/${total}${noun} done (${pct}%)`,
    `${counts.in_progress} running`,
    `${counts.failed} failed`,
    `${counts.blocked} blocked`,
    ...(options.rate === undefined ? [] : [`${options.rate.toFixed(1)}${noun}/s`]),
    `${formatDuration(snapshot.elapsedMs)} elapsed`,
    eta,
  ];
  const next = snapshot.waitingUntil?.[0];
  if (next) parts.push(`${snapshot.waitingUntil?.length ?? 0} waiting until ${new Date(next.until).toISOString().slice(11, 19)} UTC (${next.task})`);
  if (snapshot.paused) parts.push("PAUSED");
  return parts.join(" · ");
}

/** Completions per second since the first snapshot seen (a resumed run starts with rows already done). */
function rateTracker(): (snapshot: RunSnapshot) => number | undefined {
  let first: { completed: number; elapsedMs: number } | undefined;
  return (snapshot) => {
    first ??= { completed: snapshot.counts.completed, elapsedMs: snapshot.elapsedMs };
    const seconds = (snapshot.elapsedMs - first.elapsedMs) / 1000;
    return seconds > 0 ? (snapshot.counts.completed - first.completed) / seconds : undefined;
  };
}

/**
 * One line per event worth a line of its own; undefined for events only the progress line shows. Ids, reasons and
 * messages come from files, git and agents: every line is returned with its control characters made visible.
 */
export function eventLine(event: RunEvent): string | undefined {
  const line = rawEventLine(event);
  return line === undefined ? undefined : line.split("\n").map((part) => visible(part)).join("\n");
}

function rawEventLine(event: RunEvent): string | undefined {
  switch (event.type) {
    case "run.started":
      return `run started: ${event.total} subtasks, up to ${event.workers} workers, integration branch ${event.integrationBranch}${event.recovered.length > 0 ? `; recovered as completed from git: ${event.recovered.join(", ")}` : ""}`;
    case "task.assigned":
      return `started   ${event.task} (attempt ${event.attempt}) on ${event.worker}`;
    case "task.completed":
      return `completed ${event.task} (attempt ${event.attempt}) → ${event.tag} ${event.commit.slice(0, 12)}`;
    case "task.retry":
      return `retrying  ${event.task} after attempt ${event.attempt} in ${formatDuration(Math.max(0, event.delayMs))}: ${event.reason}`;
    case "task.failed":
      return `FAILED    ${event.task} after attempt ${event.attempt}: ${event.reason}`;
    case "task.blocked":
      return `BLOCKED   ${event.task}: ${event.reason}`;
    case "worker.stalled":
      return `stalled   ${event.worker} on ${event.task} (attempt ${event.attempt}): silent for ${formatDuration(event.silentMs)}; killed, task reassigned`;
    case "worker.exited":
      return `worker ${event.worker} exited: ${event.reason}`;
    case "run.paused":
      return `paused: ${event.message}`;
    case "run.note":
      return `note: ${event.message}`;
    case "run.resumed":
      return "resumed: the files are valid again";
    case "run.progress":
      return undefined;
    case "run.finished": {
      const { counts, total } = event.snapshot;
      const head = `run finished: ${counts.completed}/${total} completed, ${counts.failed} failed, ${counts.blocked} blocked (exit ${event.exitCode})`;
      return [head, ...event.waiting.map((line) => `  ${line}`)].join("\n");
    }
  }
}

export interface RunDisplay {
  onEvent(event: RunEvent): void;
  close(): void;
}

export function createRunDisplay(output: Output, mode: "json" | "tty" | "plain", options: { noun?: string } = {}): RunDisplay {
  const rate = options.noun ? rateTracker() : () => undefined;
  const lineOf = (snapshot: RunSnapshot) => progressLine(snapshot, 20, { noun: options.noun, rate: rate(snapshot) });
  if (mode === "json") {
    return {
      onEvent: (event) => output.data(`${JSON.stringify({ ts: new Date().toISOString(), ...event })}`),
      close: () => undefined,
    };
  }
  if (mode === "plain") {
    let lastProgress = 0;
    return {
      onEvent: (event) => {
        if (event.type === "run.progress") {
          // Off a terminal the progress line is a plain line every few seconds, not a redraw.
          if (Date.now() - lastProgress < 5000) return;
          lastProgress = Date.now();
          output.say(lineOf(event.snapshot));
          return;
        }
        const line = eventLine(event);
        if (line !== undefined) output.say(line);
      },
      close: () => undefined,
    };
  }
  let current = "";
  const stream = output.stderr;
  const clear = () => {
    if (current) stream.write("\r\x1b[2K");
  };
  return {
    onEvent: (event) => {
      if (event.type === "run.progress") {
        const next = lineOf(event.snapshot);
        if (next === current) return;
        clear();
        stream.write(next);
        current = next;
        return;
      }
      const line = eventLine(event);
      if (line === undefined || event.type === "task.assigned") return;
      clear();
      stream.write(`${line}\n`);
      if (current && event.type !== "run.finished") stream.write(current);
      else current = "";
    },
    close: () => {
      if (current) stream.write("\n");
      current = "";
    },
  };
}

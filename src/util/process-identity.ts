// A pid read from a file is a claim, not a fact. Before a process named in progress.json is adopted, given work
// or signalled, it must be the very process that registered (same pid and start time, from /proc) and carry our
// marker; an entry that fails the check is dead. Whatever a file says, pid <= 1, our own pid and our own process
// group are never signalled.
import { readFileSync } from "node:fs";
import { hasProc, isProcessAlive, procStat } from "./process-alive.js";

/** The command line of every worker contains this (bin/codex-worker.js, the .codex/bin shim, an npm bin link). */
export const WORKER_MARKER = "codex-worker";

/** What a file says about a process: recorded when it registered. */
export interface ProcessClaim {
  pid: number;
  /** Its start time (clock ticks after boot) as recorded; absent in an entry that never recorded it: then it fails. */
  start?: number | null;
  /** Text its command line must contain. */
  marker?: string;
  /** It must lead its own process group (an agent a worker spawned detached). */
  groupLeader?: boolean;
}

/** ours: the recorded process, alive; gone: no such process; other: the pid now names some other process. */
export type ClaimCheck = "ours" | "gone" | "other";

/** The start time of a live process, to record with its pid; undefined where /proc is not available. */
export function startTimeOf(pid: number): number | undefined {
  if (!hasProc || !Number.isInteger(pid) || pid <= 0) return undefined;
  const start = procStat(pid)?.start;
  return start !== undefined && Number.isSafeInteger(start) ? start : undefined;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Whether the process a file names is the one recorded there. Without /proc (not Linux) only liveness is known. */
export function checkClaim(claim: ProcessClaim): ClaimCheck {
  // Pid 1 may be ours (a lead as a container's first process): it is checked like any other, and never signalled
  // all the same (see unsafeSignalTarget, enforced by the kill functions).
  if (!Number.isSafeInteger(claim.pid) || claim.pid <= 0) return "gone";
  if (!isProcessAlive(claim.pid)) return "gone";
  if (!hasProc) return "ours";
  const stat = procStat(claim.pid);
  if (stat === undefined) return "gone";
  if (claim.start === undefined || claim.start === null || stat.start !== claim.start) return "other";
  if (claim.groupLeader && stat.pgrp !== claim.pid) return "other";
  if (claim.marker !== undefined && !commandLineOf(claim.pid).includes(claim.marker)) return "other";
  return "ours";
}

export function isClaimLive(claim: ProcessClaim): boolean {
  return checkClaim(claim) === "ours";
}

/** A worker entry of progress.json as a claim: its pid, recorded start time and the worker marker. */
export function workerClaim(worker: { pid: number; pid_start?: number | null | undefined }): ProcessClaim {
  return { pid: worker.pid, start: worker.pid_start ?? undefined, marker: WORKER_MARKER };
}

/** The agent a worker entry names, as a claim (a group leader the worker spawned), or undefined when none. */
export function agentClaim(worker: { agent_pid?: number | null | undefined; agent_start?: number | null | undefined }): ProcessClaim | undefined {
  if (!worker.agent_pid) return undefined;
  return { pid: worker.agent_pid, start: worker.agent_start ?? undefined, groupLeader: true };
}

/** The lead a worker entry names (pid and the start time recorded with it), or undefined when none. */
export function leadClaim(worker: { lead_pid?: number | null | undefined; lead_start?: number | null | undefined }): ProcessClaim | undefined {
  if (!worker.lead_pid) return undefined;
  return { pid: worker.lead_pid, start: worker.lead_start ?? undefined };
}

let ownGroup: number | undefined;

/** Why `pid` must never be signalled, alone or as a group; undefined when it may be. */
export function unsafeSignalTarget(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return `pid ${String(pid)} would address init or every process`;
  if (pid === process.pid) return `pid ${pid} is this process`;
  ownGroup ??= procStat(process.pid)?.pgrp;
  if (pid === ownGroup) return `pid ${pid} leads this process's own group`;
  return undefined;
}

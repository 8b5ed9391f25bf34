// Is a process (group) alive, and kill a whole process group: SIGTERM, then SIGKILL after a grace period.
import { readdirSync, readFileSync } from "node:fs";
import { errnoCode } from "../errors.js";

const POLL_MS = 20;
/** After SIGKILL a process normally vanishes at once; a process stuck in the kernel may take longer. */
const AFTER_SIGKILL_WAIT_MS = 3000;

function assertPid(pid: number): void {
  // 0 and negative numbers address process groups (0: our own): never let a bad value get there.
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`invalid pid ${String(pid)}`);
}

/** The state letter and process group of a Linux process from /proc, or undefined when unavailable. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ..." where comm may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

const hasProc = process.platform === "linux";

/**
 * True while `pid` exists (EPERM — someone else's process — counts as alive). On Linux a zombie counts
 * as dead: an orphan nobody reaps (PID 1 in some containers does not) is no longer running anything.
 */
export function isProcessAlive(pid: number): boolean {
  assertPid(pid);
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    return errnoCode(error) === "EPERM";
  }
  if (!hasProc) return true;
  const stat = procStat(pid);
  return stat === undefined ? true : stat.state !== "Z" && stat.state !== "X";
}

/** True while any process of group `pgid` is alive (zombies excluded on Linux, as above). */
export function isProcessGroupAlive(pgid: number): boolean {
  assertPid(pgid);
  try {
    process.kill(-pgid, 0);
  } catch (error: unknown) {
    return errnoCode(error) === "EPERM";
  }
  if (!hasProc) return true;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true;
  }
  return false;
}

function anyAlive(pid: number): boolean {
  return isProcessGroupAlive(pid) || isProcessAlive(pid);
}

/** Sends `signal` to the group led by `pid`, or to `pid` alone when it leads no group. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
    return;
  } catch (error: unknown) {
    if (errnoCode(error) !== "ESRCH") throw error;
  }
  try {
    process.kill(pid, signal);
  } catch (error: unknown) {
    if (errnoCode(error) !== "ESRCH") throw error;
  }
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!anyAlive(pid)) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface KillOptions {
  /** How long the group has to exit after SIGTERM before it gets SIGKILL. Default: 2000 ms. */
  graceMs?: number;
}

/**
 * Kills the process group led by `pid` (started with `detached: true`), grandchildren included:
 * SIGTERM, then SIGKILL to whatever is left after `graceMs`. Resolves once the group is gone
 * (or, for a process stuck in the kernel, a few seconds after SIGKILL). EPERM is thrown.
 */
export async function killProcessGroup(pid: number, options: KillOptions = {}): Promise<void> {
  assertPid(pid);
  const graceMs = options.graceMs ?? 2000;
  if (!anyAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  if (await waitUntilDead(pid, graceMs)) return;
  signalGroup(pid, "SIGKILL");
  await waitUntilDead(pid, AFTER_SIGKILL_WAIT_MS);
}

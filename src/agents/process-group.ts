// Is a process (group) alive, and kill a whole process group: SIGTERM, then SIGKILL after a grace period.
import { readdirSync, readlinkSync } from "node:fs";
import { errnoCode } from "../errors.js";
import { assertPid, hasProc, isProcessAlive, procStat } from "../util/process-alive.js";
import { unsafeSignalTarget } from "../util/process-identity.js";

const POLL_MS = 20;
/** After SIGKILL a process normally vanishes at once; a process stuck in the kernel may take longer. */
const AFTER_SIGKILL_WAIT_MS = 3000;

export { isProcessAlive };

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
  /** How long the group has to exit after the first signal before it gets SIGKILL. Default: 2000 ms. */
  graceMs?: number;
  /** The first signal. Default: SIGTERM. */
  signal?: NodeJS.Signals;
}

/**
 * Kills the process group led by `pid` (started with `detached: true`), grandchildren included:
 * SIGTERM (or `signal`), then SIGKILL to whatever is left after `graceMs`. Resolves once the group is gone
 * (or, for a process stuck in the kernel, a few seconds after SIGKILL). EPERM is thrown. Pid 1, this process
 * and its own group are never signalled (kill(-1) would hit every process we may signal): nothing is done.
 */
export async function killProcessGroup(pid: number, options: KillOptions = {}): Promise<void> {
  assertPid(pid);
  if (unsafeSignalTarget(pid) !== undefined) return;
  const graceMs = options.graceMs ?? 2000;
  if (!anyAlive(pid)) return;
  signalGroup(pid, options.signal ?? "SIGTERM");
  if (await waitUntilDead(pid, graceMs)) return;
  signalGroup(pid, "SIGKILL");
  await waitUntilDead(pid, AFTER_SIGKILL_WAIT_MS);
}

/**
 * Kills (SIGKILL, whole process group) every process whose working directory is `dir` or inside it:
 * the agents of a worker that died, whatever pid was or was not recorded for them. Linux only (/proc);
 * elsewhere it does nothing. Our own process, our own group and init are never touched. Resolves once those groups are gone
 * (or a few seconds after SIGKILL, for a process stuck in the kernel), with the groups killed.
 */
export async function killProcessesUnder(dir: string): Promise<number[]> {
  if (!hasProc) return [];
  const groups = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
    const stat = procStat(Number(entry));
    if (!stat || stat.state === "Z" || unsafeSignalTarget(stat.pgrp) !== undefined || unsafeSignalTarget(Number(entry)) !== undefined) continue;
    groups.add(stat.pgrp);
  }
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await Promise.all([...groups].map((group) => waitUntilDead(group, AFTER_SIGKILL_WAIT_MS)));
  return [...groups];
}

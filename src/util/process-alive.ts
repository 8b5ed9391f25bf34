// Is a process alive? Shared by the store (dead lock holders), the agents and the lead.
import { readFileSync } from "node:fs";
import { errnoCode } from "../errors.js";

export function assertPid(pid: number): void {
  // 0 and negative numbers address process groups (0: our own): never let a bad value get there.
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`invalid pid ${String(pid)}`);
}

export interface ProcStat {
  state: string;
  pgrp: number;
  /** Start time in clock ticks after boot (field 22): with the pid, it names one process for the life of the system. */
  start: number;
}

/** State letter, process group and start time of a Linux process from /proc, or undefined when unavailable. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ..." where comm may itself hold spaces and parentheses; state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]), start: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export const hasProc = process.platform === "linux";

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

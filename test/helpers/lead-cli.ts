// Runs the built `codex-lead` as a child process, the way a person or CI does, and returns what it printed.
import { spawnSync } from "node:child_process";
import { leadBin } from "./temp.js";

export interface LeadResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runLead(cwd: string, args: string[], env: Record<string, string | undefined> = {}): LeadResult {
  const result = spawnSync(process.execPath, [leadBin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", CODEX_DEBUG: undefined, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

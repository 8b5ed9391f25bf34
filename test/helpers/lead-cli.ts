// Runs the built `codex-lead` as a child process, the way a person or CI does, and returns what it printed.
import { spawn, spawnSync } from "node:child_process";
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

/**
 * The same without blocking this process: needed when the test process itself serves the child (the fake model
 * server runs in it). Killed after `timeoutMs`.
 */
export function runLeadAsync(cwd: string, args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<LeadResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [leadBin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", CODEX_DEBUG: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => resolve({ status: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

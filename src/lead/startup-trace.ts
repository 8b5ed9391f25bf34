// With CODEX_DEBUG set, the time of each startup phase of the lead on stderr: where a slow restart spends its time.
import { performance } from "node:perf_hooks";

const enabled = Boolean(process.env["CODEX_DEBUG"]) && process.env["CODEX_DEBUG"] !== "0";
const t0 = performance.now();

export function startupTrace(phase: string): void {
  if (enabled) process.stderr.write(`[lead +${Math.round(performance.now() - t0)}ms] ${phase}\n`);
}

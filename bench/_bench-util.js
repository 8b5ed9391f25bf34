// Shared helpers for the benchmarks: temp git repos, plans, timing, medians.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const leadBin = path.join(repoRoot, "bin", "codex-lead.js");

const made = [];
process.on("exit", () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // a worker may still be writing there; the temp dir is left for the OS
    }
  }
});

export function git(cwd, args) {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function tempRepo(prefix = "codex-bench-") {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  git(dir, ["init", "-q", "-b", "main"]);
  git(dir, ["config", "user.email", "bench@example.com"]);
  git(dir, ["config", "user.name", "Bench"]);
  git(dir, ["config", "commit.gpgsign", "false"]);
  writeFileSync(path.join(dir, "README.md"), "bench\n");
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "-m", "initial"]);
  mkdirSync(path.join(dir, ".codex"), { recursive: true });
  return dir;
}

export function writePlan(dir, subtasks, config = {}) {
  const features = { features: [{ id: "bench", feature: "Benchmark", subtasks }] };
  writeFileSync(path.join(dir, ".codex", "features.json"), `${JSON.stringify(features, null, 2)}\n`);
  writeFileSync(path.join(dir, ".codex", "config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

export function runLeadProcess(dir, args = [], options = {}) {
  return spawn(process.execPath, [leadBin, "run", "--json", ...args], {
    cwd: dir,
    stdio: ["ignore", "pipe", options.stderr ?? "ignore"],
    detached: true,
  });
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or undefined elsewhere. */
export function machineBusySeconds() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ, 100 on Linux
  } catch {
    return undefined;
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(n, digits = 1) {
  return Number(n).toFixed(digits);
}

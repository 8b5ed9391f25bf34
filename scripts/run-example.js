// `npm run example`: a fresh git repository with the offline example, run to the end, then its status.
// Usage: node scripts/run-example.js [directory]   (default: a new temp directory, kept for inspection)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lead = path.join(root, "bin", "codex-lead.js");
const dir = process.argv[2] ? path.resolve(process.argv[2]) : mkdtempSync(path.join(os.tmpdir(), "codex-example-"));
mkdirSync(dir, { recursive: true });

const git = (...args) => execFileSync("git", args, { cwd: dir, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
git("init", "-q", "-b", "main");
git("config", "user.email", "example@codex-crew.invalid");
git("config", "user.name", "codex-crew example");
writeFileSync(path.join(dir, "README.md"), "# example project\n");
git("add", "-A");
git("commit", "-q", "-m", "initial commit");

const step = (args) => {
  process.stderr.write(`\n$ codex-lead ${args.join(" ")}\n`);
  return spawnSync(process.execPath, [lead, ...args], { cwd: dir, stdio: "inherit" }).status ?? 1;
};
if (step(["init", "--example"]) !== 0) process.exit(1);
if (step(["validate"]) !== 0) process.exit(2);
const code = step(["run"]);
step(["status"]);
process.stderr.write(`\n$ git log --oneline codex/integration\n${git("log", "--oneline", "codex/integration")}`);
process.stderr.write(`\nThe example repository is ${dir}\nTake the result into your branch there with: git merge codex/integration\n`);
process.exit(code);

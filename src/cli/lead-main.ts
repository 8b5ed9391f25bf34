// `codex-lead`: the command tree. Each command lives in commands/<name>.ts; errors and exit codes are run-main's job.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { CliContext } from "./context.js";
import { registerBlock } from "./commands/block.js";
import { registerCancel } from "./commands/cancel.js";
import { registerEdit } from "./commands/edit.js";
import { registerInit } from "./commands/init.js";
import { registerReport } from "./commands/report.js";
import { registerRetry } from "./commands/retry.js";
import { registerRun } from "./commands/run.js";
import { registerSend } from "./commands/send.js";
import { registerStatus } from "./commands/status.js";
import { registerUnblock } from "./commands/unblock.js";
import { registerValidate } from "./commands/validate.js";
import { registerCheckpoints } from "./commands/checkpoints.js";
import { registerShow } from "./commands/show.js";
import { registerChanges } from "./commands/changes.js";
import { registerRollback } from "./commands/rollback.js";
import { registerGc } from "./commands/gc.js";
import { registerJobs } from "./commands/jobs.js";
import { registerMetrics } from "./commands/metrics.js";
import { registerPlan } from "./commands/plan.js";
import { runMain } from "./run-main.js";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildLeadProgram(ctx: CliContext): Command {
  const program = new Command("codex-lead")
    .description("plan, run and steer coding agents through the files in .codex/")
    .version(packageVersion(), "-V, --version")
    .addOption(new Option("-C, --cwd <dir>", "the repository root (default: the git top-level of the current directory)"))
    // Parse errors become CommanderErrors for run-main to print (once, with a hint) and map to exit 2.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true)
    .helpCommand(true);
  registerInit(program, ctx);
  registerValidate(program, ctx);
  registerPlan(program, ctx);
  registerStatus(program, ctx);
  registerReport(program, ctx);
  registerSend(program, ctx);
  registerRetry(program, ctx);
  registerBlock(program, ctx);
  registerUnblock(program, ctx);
  registerCancel(program, ctx);
  registerEdit(program, ctx);
  registerRun(program, ctx);
  registerCheckpoints(program, ctx);
  registerShow(program, ctx);
  registerChanges(program, ctx);
  registerRollback(program, ctx);
  registerGc(program, ctx);
  registerJobs(program, ctx);
  registerMetrics(program, ctx);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<never> {
  return runMain(buildLeadProgram, argv);
}

// codex-worker: join the run in this repository, or — inside a subtask — report progress and results.
import { Command, InvalidArgumentError } from "commander";
import { CodexError, ExitCode, UsageError } from "../errors.js";
import { parseJsonText } from "../util/json-text.js";
import { tryParseDuration } from "../util/duration.js";
import { runWorker } from "../worker/run-worker.js";
import { MIN_HEARTBEAT_MS } from "../schema/config.js";
import type { AttemptToken } from "../ops/fence.js";
import { recordTaskResult, reportTaskProgress } from "../ops/agent-reports.js";
import { CodexStore } from "../store/codex-store.js";
import type { CliContext } from "./context.js";
import { runMain, type BuildProgram } from "./run-main.js";

function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): { root: string; token: AttemptToken } {
  const root = env["CODEX_ROOT"];
  const task = env["CODEX_TASK"];
  const attempt = Number(env["CODEX_ATTEMPT"]);
  const worker = env["CODEX_WORKER"];
  if (!root || !task || !worker || !Number.isInteger(attempt) || attempt < 1) {
    throw new UsageError(
      "not inside a subtask: CODEX_ROOT, CODEX_TASK, CODEX_ATTEMPT and CODEX_WORKER must be set",
      "`codex-worker report` and `codex-worker result` are for agents that a worker started.",
    );
  }
  return { root, token: { task, attempt, worker } };
}

function refused(what: string, reason: string): CodexError {
  return new CodexError("E_STALE_TOKEN", `${what} refused: ${reason}`, {
    hint: "This attempt is no longer the current one; its work stays on its branch.",
    exitCode: ExitCode.failed,
  });
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError("expected a number from 0 to 100.");
  return n;
}

function duration(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError("expected a duration such as 500ms, 3s or 2m.");
  return ms;
}

function heartbeatDuration(value: string): number {
  const ms = duration(value);
  if (ms < MIN_HEARTBEAT_MS) throw new InvalidArgumentError(`a heartbeat must be at least ${MIN_HEARTBEAT_MS}ms.`);
  return ms;
}

export const buildWorkerProgram: BuildProgram = (ctx: CliContext) => {
  const program = new Command("codex-worker")
    .description("Joins the codex-crew run in this repository: takes subtasks, runs their agent in a worktree, reports.")
    .option("-C, --cwd <dir>", "the repository (default: the git top-level of the current directory)")
    .option("--id <id>", "worker id (default: w<pid>)")
    .option("--lead-pid <pid>", "the lead that started this worker; when it is gone the worker exits once idle", (v) => Number(v))
    .option("--heartbeat <duration>", `lease renewal interval, at least ${MIN_HEARTBEAT_MS}ms (default from config.json)`, heartbeatDuration)
    .option("--idle-heartbeat <duration>", "renewal interval while no task is assigned (default: the larger of the heartbeat and a third of stall_timeout)", heartbeatDuration)
    .option("--once", "exit after one attempt")
    .exitOverride()
    .configureOutput({ writeErr: (text) => ctx.output.say(text.trimEnd()), writeOut: (text) => process.stdout.write(text) })
    .action(async (options: { id?: string; leadPid?: number; heartbeat?: number; idleHeartbeat?: number; once?: boolean }) => {
      ctx.exitCode = await runWorker({
        root: await ctx.root(),
        id: options.id,
        leadPid: options.leadPid,
        heartbeatMs: options.heartbeat,
        idleHeartbeatMs: options.idleHeartbeat,
        once: options.once,
      });
    });

  program
    .command("report")
    .description("inside a subtask: report progress (renews the lease)")
    .option("--progress <percent>", "0-100", percent)
    .option("--detail <text>", "what is happening")
    .action(async (options: { progress?: number; detail?: string }) => {
      const { root, token } = tokenFromEnv();
      const store = new CodexStore(root);
      const fence = await reportTaskProgress(store, token, options.progress, options.detail);
      if (!fence.applied) throw refused("report", fence.reason);
    });

  program
    .command("result")
    .description("inside a subtask: record the structured result (JSON)")
    .argument("<json>", "the result as JSON")
    .action(async (json: string) => {
      const parsed = parseJsonText(json);
      if (!parsed.ok) {
        throw new UsageError(`result is not valid JSON: column ${parsed.problem.column}: ${parsed.problem.message}`, "Pass one JSON value, quoted for the shell.");
      }
      const { root, token } = tokenFromEnv();
      const store = new CodexStore(root);
      const fence = await recordTaskResult(store, token, parsed.value);
      if (!fence.applied) throw refused("result", fence.reason);
    });
  return program;
};

export async function main(argv: string[] = process.argv): Promise<never> {
  return runMain(buildWorkerProgram, argv);
}

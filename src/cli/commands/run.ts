// `codex-lead run`: the main job. The engine (src/lead/run-lead.ts) is loaded only when this command runs.
import { InvalidArgumentError, type Command } from "commander";
import { tryParseDuration } from "../../util/duration.js";
import type { CliContext } from "../context.js";
import { dryRun, nonNegativeCredits } from "./run-dry.js";

interface RunOptions {
  workers?: number;
  stallTimeout?: number;
  heartbeat?: number;
  maxAttempts?: number;
  json?: boolean;
  dryRun?: boolean;
  maxCredits?: number;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

function duration(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError("expected a duration such as 500ms, 3s, 2m or 1h.");
  return ms;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("schedule ready subtasks onto workers until every subtask is final; exit 0 only if all completed")
    .option("--workers <n>", "workers at once (default: config.workers, else 2)", positiveInt)
    .option("--stall-timeout <duration>", "silence after which a worker is killed and its task reassigned (e.g. 60s)", duration)
    .option("--heartbeat <duration>", "how often workers renew their lease (e.g. 2s)", duration)
    .option("--max-attempts <n>", "attempts per subtask before it fails", positiveInt)
    .option("--json", "NDJSON events on stdout instead of the progress line")
    .option("--dry-run", "print what would run, in which order (waves), with which agent and budget; change nothing")
    .option(
      "--max-credits <n>",
      "the run's credit cap: once spent, no new attempt starts and the run ends with exit 6 (default: config.run_budget); with --dry-run, a gate: exit 6 when the planned credits exceed n",
      nonNegativeCredits,
    )
    .action(async (options: RunOptions) => {
      if (options.dryRun) {
        await dryRun(ctx, options);
        return;
      }
      const root = await ctx.root();
      // Loaded here, not at start-up: the engine is big and the other commands never need it.
      const [{ runLead }, { createRunDisplay }] = await Promise.all([import("../../lead/run-lead.js"), import("../run-display.js")]);
      const display = createRunDisplay(ctx.output, options.json ? "json" : ctx.output.stderr.isTTY === true ? "tty" : "plain");
      const controller = new AbortController();
      const onSignal = (): void => {
        // The first Ctrl-C stops the run cleanly; remove the handlers so a second one ends the process at once.
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        if (!options.json) ctx.output.say("\nstopping: workers are told to stop, their work stays on their branches (Ctrl-C again to quit now)");
        controller.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const result = await runLead({
          root,
          ...(options.workers === undefined ? {} : { workers: options.workers }),
          ...(options.stallTimeout === undefined ? {} : { stallTimeout: options.stallTimeout }),
          ...(options.heartbeat === undefined ? {} : { heartbeat: options.heartbeat }),
          ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
          ...(options.maxCredits === undefined ? {} : { maxCredits: options.maxCredits }),
          onEvent: (event) => display.onEvent(event),
          signal: controller.signal,
        });
        ctx.exitCode = result.exitCode;
      } finally {
        display.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

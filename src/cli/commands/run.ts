// `codex-lead run`: the main job. The engine (src/lead/run-lead.ts) is loaded only when this command runs.
import { InvalidArgumentError, type Command } from "commander";
import { CodexError, ExitCode, errnoCode } from "../../errors.js";
import { tryParseDuration } from "../../util/duration.js";
import type { RunEvent } from "../../lead/run-events.js";
import type { CliContext } from "../context.js";
import { createRunDisplay } from "../run-display.js";

export interface RunLeadOptions {
  root: string;
  workers?: number;
  stallTimeout?: number;
  heartbeat?: number;
  maxAttempts?: number;
}

interface RunLeadModule {
  runLead(options: RunLeadOptions & { onEvent: (event: RunEvent) => void; signal: AbortSignal }): Promise<unknown>;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

function duration(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError("expected a duration such as 500ms, 3s, 2m or 1h.");
  return ms;
}

/** The exit code the engine's result asks for: a number, or an object with exitCode; anything else counts as success. */
function exitCodeOf(result: unknown): number {
  if (typeof result === "number") return result;
  if (result !== null && typeof result === "object" && typeof (result as { exitCode?: unknown }).exitCode === "number") {
    return (result as { exitCode: number }).exitCode;
  }
  return ExitCode.ok;
}

// A variable specifier: the engine is built separately and may not exist in every build.
const ENGINE = "../../lead/run-lead.js";

async function loadEngine(): Promise<RunLeadModule> {
  try {
    return (await import(ENGINE)) as RunLeadModule;
  } catch (error) {
    if (errnoCode(error) === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes("run-lead")) {
      throw new CodexError("E_NO_ENGINE", "the run engine is not part of this build", {
        cause: error,
        exitCode: ExitCode.internal,
        hint: "Rebuild with `npm run build`; until then use `codex-lead validate` and `codex-lead status`.",
      });
    }
    throw error;
  }
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
    .action(async (options: { workers?: number; stallTimeout?: number; heartbeat?: number; maxAttempts?: number; json?: boolean }) => {
      const root = await ctx.root();
      const { runLead } = await loadEngine();
      const mode = options.json === true ? "json" : ctx.output.stderr.isTTY === true ? "tty" : "plain";
      const display = createRunDisplay(ctx.output, mode);
      // SIGINT/SIGTERM stop the workers cleanly; the run then ends with exit code 130.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const result = await runLead({
          root,
          ...(options.workers === undefined ? {} : { workers: options.workers }),
          ...(options.stallTimeout === undefined ? {} : { stallTimeout: options.stallTimeout }),
          ...(options.heartbeat === undefined ? {} : { heartbeat: options.heartbeat }),
          ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
          onEvent: (event) => display.onEvent(event),
          signal: stop.signal,
        });
        ctx.exitCode = exitCodeOf(result);
      } finally {
        display.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

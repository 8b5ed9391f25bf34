// The one place that turns errors into messages and exit codes, and the only one that exits the process.
import { CommanderError, type Command } from "commander";
import { CodexError, ExitCode, isErrnoException } from "../errors.js";
import { visible } from "../util/terminal-text.js";
import { createContext, type CliContext } from "./context.js";
import { createOutput, type Output } from "./output.js";

export type BuildProgram = (ctx: CliContext) => Command;

function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const value = env["CODEX_DEBUG"];
  return value !== undefined && value !== "" && value !== "0";
}

/** The subcommand named on the command line, for "run `x <cmd> --help`" hints. */
function subcommandOf(program: Command, args: string[]): string | undefined {
  const names = new Set(program.commands.flatMap((command) => [command.name(), ...command.aliases()]));
  return args.find((arg) => names.has(arg));
}

function reportCommanderError(error: CommanderError, program: Command, args: string[], output: Output): number {
  if (error.exitCode === 0) return ExitCode.ok; // --help, --version
  const name = program.name();
  // Help shown because no command was given: commander already printed it.
  if (error.code === "commander.help" || error.code === "commander.helpDisplayed") return ExitCode.usage;
  const message = error.message.replace(/^error: /, "");
  const sub = error.code === "commander.unknownCommand" ? undefined : subcommandOf(program, args);
  output.say(`${output.style.red(`${name}:`)} ${message}`);
  output.say(output.style.dim(`hint: run \`${name}${sub ? ` ${sub}` : ""} --help\` for the ${sub ? "usage" : "commands and flags"}`));
  return ExitCode.usage;
}

export function reportError(name: string, error: unknown, output: Output, env: NodeJS.ProcessEnv = process.env): number {
  const debug = debugEnabled(env);
  const head = output.style.red(`${name}:`);
  // Messages quote files, git and agents: shown with their control characters made visible.
  if (error instanceof CodexError) {
    output.say(`${head} ${visible(error.message)}`);
    for (const detail of error.details) output.say(`  ${visible(detail)}`);
    if (error.hint) output.say(output.style.dim(`hint: ${visible(error.hint)}`));
    if (debug && error.stack) output.say(error.stack);
    return error.exitCode;
  }
  if (isErrnoException(error) && typeof error.syscall === "string") {
    // The machine said no (permissions, disk full, …): not our bug, but nothing the person typed either.
    output.say(`${head} ${visible(error.message)}`);
    output.say(output.style.dim("hint: check the path, its permissions and free disk space, then run the command again"));
    if (debug && error.stack) output.say(error.stack);
    return ExitCode.internal;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.say(`${head} ${visible(message.split("\n")[0] ?? message)}`);
  if (debug) output.say(error instanceof Error && error.stack ? error.stack : String(error));
  else output.say(output.style.dim("this is a bug; rerun with CODEX_DEBUG=1 for the stack"));
  return ExitCode.internal;
}

/** Parses and runs one command line; never exits, returns the exit code. */
export async function runCli(build: BuildProgram, argv: string[], output: Output = createOutput()): Promise<number> {
  let program: Command | undefined;
  const ctx = createContext(output, () => program?.opts() ?? {});
  program = build(ctx);
  const args = argv.slice(2);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return reportCommanderError(error, program, args, output);
    return reportError(program.name(), error, output);
  }
}

function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write("", () => resolve())) stream.once("drain", () => resolve());
  });
}

/** The entry point of a bin: runs the command line, then exits with its code. */
export async function runMain(build: BuildProgram, argv: string[] = process.argv): Promise<never> {
  const code = await runCli(build, argv);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

// Where the CLI writes: data to stdout, messages to stderr; colour only on a terminal and when NO_COLOR is not set.
import { terminalSafe } from "../util/terminal-text.js";

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
}

export interface Output {
  /** Data: what a script pipes on (status, report, ids). */
  data(text: string): void;
  /** A message for the person (progress, confirmations, errors). */
  say(text: string): void;
  /** Colour is wanted on stdout (data). */
  readonly dataColor: boolean;
  /** Styles for messages on stderr; plain when colour is off there. */
  readonly style: Style;
  readonly stdout: Stream;
  readonly stderr: Stream;
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so does a stream that is not a terminal. */
export function wantsColor(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["TERM"] === "dumb") return false;
  return stream.isTTY === true;
}

const plain = (text: string): string => text;
const sgr = (open: number, close: number) => (text: string): string => `\u001b[${open}m${text}\u001b[${close}m`;

export function makeStyle(color: boolean): Style {
  if (!color) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39) };
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

export function createOutput(
  stdout: Stream = process.stdout,
  stderr: Stream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Output {
  const dataColor = wantsColor(stdout, env);
  const sayColor = wantsColor(stderr, env);
  return {
    // Whatever a command prints passes terminalSafe: no escape sequence from a file, git or an agent gets through,
    // and no colour code either where we write none ourselves.
    data: (text) => void stdout.write(withNewline(terminalSafe(text, dataColor))),
    say: (text) => void stderr.write(withNewline(terminalSafe(text, sayColor))),
    dataColor,
    style: makeStyle(sayColor),
    stdout,
    stderr,
  };
}

// Text from files, agents and subtask output, made safe to print on a terminal: every control character is
// shown as a visible escape (`\x1b`, `\n`, `\u202e`), so no escape sequence (colours, cursor moves, the
// clipboard-writing OSC 52, a bidi override that reorders what is read) ever reaches the terminal.

/** C0 controls, DEL, C1 controls, and the Unicode line separators and bidi controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same, without line feed and tab: for text shown over several lines. */
const UNSAFE_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

export interface VisibleOptions {
  /** Keep line feeds and tabs (a report, a list of lines); by default the text is kept on one line. */
  multiline?: boolean;
}

/** `text` with every control character made visible; plain text comes back unchanged. */
export function visible(text: string, options: VisibleOptions = {}): string {
  const pattern = options.multiline ? UNSAFE_MULTILINE : UNSAFE;
  pattern.lastIndex = 0;
  return pattern.test(text) ? text.replace(pattern, escape) : text;
}

/** The colour codes our own renderers write (bold, dim, red, green, yellow, cyan and their resets). */
const OUR_STYLES = /(\u001b\[(?:0|1|2|22|31|32|33|36|39)m)/;

/**
 * The last guard before a terminal, for everything the CLI prints: line breaks, tabs and — only where we colour
 * our output (`keepStyles`) — our own colour codes stay; every other control character is made visible, so a
 * value no renderer sanitized still cannot move the cursor, clear the screen or write the clipboard. Where we
 * write no colour, a colour code can only have come from data, and is shown too.
 */
export function terminalSafe(text: string, keepStyles = true): string {
  UNSAFE_MULTILINE.lastIndex = 0;
  if (!UNSAFE_MULTILINE.test(text)) return text;
  if (!keepStyles) return visible(text, { multiline: true });
  return text
    .split(OUR_STYLES)
    .map((part, index) => (index % 2 === 1 ? part : visible(part, { multiline: true })))
    .join("");
}

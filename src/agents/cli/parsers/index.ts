// How to read each `output` kind of a cli profile.
import type { CliProfile } from "../../../schema/config.js";
import { claudeParser } from "./claude.js";
import { codexParser } from "./codex.js";
import { geminiParser } from "./gemini.js";
import type { OutputParser } from "./parser.js";
import { textParser } from "./text.js";

export type { OutputParser, ParsedRun } from "./parser.js";

export function parserFor(output: CliProfile["output"]): OutputParser {
  switch (output) {
    case "codex":
      return codexParser();
    case "claude":
      return claudeParser();
    case "gemini":
      return geminiParser();
    default:
      return textParser();
  }
}

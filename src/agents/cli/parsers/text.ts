// Any other CLI: its exit code is the verdict and the end of its stdout the final message; no usage is known.
import { emptyUsage } from "../../contract.js";
import type { OutputParser, ParsedRun } from "./parser.js";

const FINAL_MESSAGE_CHARS = 4000;

export function textParser(): OutputParser {
  let tail = "";
  return {
    line(raw) {
      tail = `${tail}${raw}\n`;
      if (tail.length > FINAL_MESSAGE_CHARS * 2) tail = tail.slice(-FINAL_MESSAGE_CHARS);
    },
    finish(): ParsedRun {
      return { sawResult: true, failure: undefined, finalMessage: tail.trim().slice(-FINAL_MESSAGE_CHARS), usage: emptyUsage() };
    },
  };
}

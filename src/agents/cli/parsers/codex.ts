// `codex exec --json`: usage from turn.completed, the last agent_message as the final message, turn.failed as failure.
import { emptyUsage } from "../../contract.js";
import { count, jsonLine, record, text, type OutputParser, type ParsedRun } from "./parser.js";

export function codexParser(): OutputParser {
  const usage = emptyUsage();
  let finalMessage = "";
  let failure: string | undefined;
  let lastError: string | undefined;
  let sawResult = false;
  return {
    line(raw) {
      const event = jsonLine(raw);
      if (event === undefined) return;
      switch (event["type"]) {
        case "item.completed": {
          const item = record(event["item"]);
          if (item["type"] === "agent_message") finalMessage = text(item["text"]) ?? finalMessage;
          break;
        }
        case "turn.completed": {
          sawResult = true;
          const u = record(event["usage"]);
          usage.input_tokens = (usage.input_tokens ?? 0) + count(u["input_tokens"]);
          usage.cached_input_tokens = (usage.cached_input_tokens ?? 0) + count(u["cached_input_tokens"]);
          usage.output_tokens = (usage.output_tokens ?? 0) + count(u["output_tokens"]);
          usage.reasoning_tokens = (usage.reasoning_tokens ?? 0) + count(u["reasoning_output_tokens"]);
          // codex reports turns, not model requests: one exec run is one turn.
          usage.calls = (usage.calls ?? 0) + 1;
          break;
        }
        case "turn.failed":
          sawResult = true;
          failure = text(record(event["error"])["message"]) ?? lastError ?? "turn failed";
          usage.calls = (usage.calls ?? 0) + 1;
          break;
        case "error":
          // Top-level errors are often warnings (retries, reconnects); kept in case the run ends without turn.failed.
          lastError = text(event["message"]) ?? lastError;
          break;
        default:
          break;
      }
    },
    finish(): ParsedRun {
      return { sawResult, failure: failure ?? (sawResult ? undefined : lastError), finalMessage, usage };
    },
  };
}

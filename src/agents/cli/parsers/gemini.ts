// `gemini -p --output-format stream-json`: assistant message chunks make the final message; `result` has status and stats.
import { emptyUsage } from "../../contract.js";
import { count, jsonLine, record, text, type OutputParser, type ParsedRun } from "./parser.js";

export function geminiParser(): OutputParser {
  let usage = emptyUsage();
  let finalMessage = "";
  let failure: string | undefined;
  let sawResult = false;
  /** Model turns: each run of model output (text or tool calls) after the prompt or after tool results. */
  let turns = 0;
  let inModelTurn = false;
  const modelOutput = (): void => {
    if (!inModelTurn) turns += 1;
    inModelTurn = true;
  };
  return {
    line(raw) {
      const event = jsonLine(raw);
      if (event === undefined) return;
      switch (event["type"]) {
        case "message":
          if (event["role"] !== "assistant") break;
          if (!inModelTurn) finalMessage = "";
          modelOutput();
          finalMessage += text(event["content"]) ?? "";
          break;
        case "tool_use":
          modelOutput();
          break;
        case "tool_result":
          inModelTurn = false;
          break;
        case "result": {
          sawResult = true;
          if (event["status"] !== "success") {
            failure = text(record(event["error"])["message"]) ?? `gemini ended with status ${String(event["status"])}`;
          }
          const stats = record(event["stats"]);
          const input = count(stats["input_tokens"]);
          const output = count(stats["output_tokens"]);
          // stats.output_tokens leaves out thinking; total_tokens has it, so thoughts = total - input - output.
          const thoughts = Math.max(0, count(stats["total_tokens"]) - input - output);
          usage = {
            ...emptyUsage(),
            input_tokens: input,
            cached_input_tokens: count(stats["cached"]),
            output_tokens: output + thoughts,
            reasoning_tokens: thoughts,
            calls: turns,
          };
          break;
        }
        default:
          break;
      }
    },
    finish(): ParsedRun {
      return { sawResult, failure, finalMessage, usage };
    },
  };
}

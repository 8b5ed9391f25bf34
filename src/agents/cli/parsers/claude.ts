// `claude -p --output-format stream-json --verbose`: one `result` event holds the verdict (is_error), text, usage and cost.
import { emptyUsage } from "../../contract.js";
import { count, jsonLine, record, text, type OutputParser, type ParsedRun } from "./parser.js";

export function claudeParser(): OutputParser {
  let usage = emptyUsage();
  let finalMessage = "";
  let lastAssistantText = "";
  let failure: string | undefined;
  let result: unknown;
  let sawResult = false;
  return {
    line(raw) {
      const event = jsonLine(raw);
      if (event === undefined) return;
      if (event["type"] === "assistant") {
        const content = record(event["message"])["content"];
        const texts = Array.isArray(content) ? content.map((block) => text(record(block)["text"])).filter((t) => t !== undefined) : [];
        if (texts.length > 0) lastAssistantText = texts.join("");
        return;
      }
      if (event["type"] !== "result") return;
      sawResult = true;
      const resultText = text(event["result"]);
      finalMessage = resultText ?? lastAssistantText;
      if (event["is_error"] === true) {
        const errors = Array.isArray(event["errors"]) ? event["errors"].filter((e) => typeof e === "string").join("; ") : "";
        failure = resultText || errors || `claude ended with ${String(event["subtype"] ?? "an error")}`;
      }
      if (event["structured_output"] !== undefined) result = event["structured_output"];
      const u = record(event["usage"]);
      const cacheRead = count(u["cache_read_input_tokens"]);
      // Anthropic's input_tokens leaves out cache reads and writes; ours counts every prompt token.
      usage = {
        ...emptyUsage(),
        input_tokens: count(u["input_tokens"]) + count(u["cache_creation_input_tokens"]) + cacheRead,
        cached_input_tokens: cacheRead,
        output_tokens: count(u["output_tokens"]),
        calls: count(event["num_turns"]),
      };
      const cost = event["total_cost_usd"];
      if (typeof cost === "number" && Number.isFinite(cost) && cost >= 0) usage.cost_usd = cost;
    },
    finish(): ParsedRun {
      const parsed: ParsedRun = { sawResult, failure, finalMessage: sawResult ? finalMessage : lastAssistantText, usage };
      if (result !== undefined) parsed.result = result;
      return parsed;
    },
  };
}

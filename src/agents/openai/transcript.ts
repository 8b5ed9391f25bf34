// The conversation in a neutral form, and its translation to and from the Responses and Chat Completions shapes.
// Requests are built only from whitelisted fields: an SDK object pushed back carries extra fields strict servers refuse.
import type { Usage } from "../../schema/common.js";

export interface ToolCall {
  /** call_id (Responses) or tool_call id (Chat). */
  id: string;
  name: string;
  /** The JSON text the model wrote. */
  arguments: string;
}

/** An opaque reasoning item of the Responses API, kept so a stateless conversation keeps the model's reasoning. */
export interface ReasoningItem {
  id: string;
  encrypted_content: string;
}

export type Entry =
  | { role: "system"; text: string }
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCall[]; reasoning?: ReasoningItem[] }
  | { role: "tool"; callId: string; output: string };

export type AssistantEntry = Extract<Entry, { role: "assistant" }>;

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type Api = "responses" | "chat";

export interface RequestOptions {
  model: string;
  temperature?: number | undefined;
  reasoning?: Record<string, unknown> | undefined;
  /** Responses: ask for the model's encrypted reasoning so the next call can carry it (nothing is stored). */
  keepReasoning?: boolean;
  tools?: ToolSpec[];
  /** Structured output: the answer must be JSON matching this schema. */
  format?: { name: string; schema: Record<string, unknown> };
}

/** The request body for `api`, a plain JSON object: the whole transcript every time, nothing stored on the server. */
export function buildRequest(api: Api, entries: Entry[], options: RequestOptions): Record<string, unknown> {
  return api === "responses" ? responsesRequest(entries, options) : chatRequest(entries, options);
}

function responsesRequest(entries: Entry[], options: RequestOptions): Record<string, unknown> {
  const input: Record<string, unknown>[] = [];
  for (const entry of entries) {
    if (entry.role === "system" || entry.role === "user") {
      input.push({ role: entry.role, content: entry.text });
    } else if (entry.role === "assistant") {
      for (const item of entry.reasoning ?? []) {
        input.push({ type: "reasoning", id: item.id, summary: [], encrypted_content: item.encrypted_content });
      }
      if (entry.text !== "") input.push({ role: "assistant", content: entry.text });
      for (const call of entry.toolCalls) {
        input.push({ type: "function_call", call_id: call.id, name: call.name, arguments: call.arguments });
      }
    } else {
      input.push({ type: "function_call_output", call_id: entry.callId, output: entry.output });
    }
  }
  const body: Record<string, unknown> = { model: options.model, input, store: false };
  if (options.tools && options.tools.length > 0) {
    body.tools = options.tools.map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      strict: false,
    }));
  }
  if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.reasoning !== undefined) body.reasoning = options.reasoning;
  if (options.keepReasoning) body.include = ["reasoning.encrypted_content"];
  if (options.format) {
    body.text = { format: { type: "json_schema", name: options.format.name, schema: options.format.schema, strict: false } };
  }
  return body;
}

function chatRequest(entries: Entry[], options: RequestOptions): Record<string, unknown> {
  const messages: Record<string, unknown>[] = entries.map((entry) => {
    if (entry.role === "system" || entry.role === "user") return { role: entry.role, content: entry.text };
    if (entry.role === "tool") return { role: "tool", tool_call_id: entry.callId, content: entry.output };
    const message: Record<string, unknown> = { role: "assistant", content: entry.text === "" ? null : entry.text };
    if (entry.toolCalls.length > 0) {
      message.tool_calls = entry.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      }));
    }
    return message;
  });
  // No `store`: Chat Completions stores nothing unless asked, and some compatible servers refuse unknown fields.
  const body: Record<string, unknown> = { model: options.model, messages };
  if (options.tools && options.tools.length > 0) {
    body.tools = options.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters, strict: false },
    }));
  }
  if (options.temperature !== undefined) body.temperature = options.temperature;
  const effort = options.reasoning?.effort;
  if (typeof effort === "string") body.reasoning_effort = effort;
  if (options.format) {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: options.format.name, schema: options.format.schema, strict: false },
    };
  }
  return body;
}

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** One call's usage; compatible servers may leave out any of these (or `usage` itself): missing counts are 0. */
function usageOf(input: unknown, cached: unknown, output: unknown, reasoning: unknown): Usage {
  return {
    input_tokens: count(input),
    cached_input_tokens: count(cached),
    output_tokens: count(output),
    reasoning_tokens: count(reasoning),
    calls: 1,
  };
}

/** The assistant's turn from a response body of either API, whitelisted field by field. */
export function parseReply(api: Api, body: unknown): { entry: AssistantEntry; usage: Usage } {
  const root = asObject(body) ?? {};
  return api === "responses" ? parseResponses(root) : parseChat(root);
}

function parseResponses(root: Loose): { entry: AssistantEntry; usage: Usage } {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningItem[] = [];
  for (const raw of asArray(root.output)) {
    const item = asObject(raw);
    if (!item) continue;
    if (item.type === "message") {
      for (const part of asArray(item.content)) {
        const text = asString(asObject(part)?.text);
        if (text !== undefined && asObject(part)?.type === "output_text") texts.push(text);
      }
    } else if (item.type === "function_call") {
      const name = asString(item.name) ?? "";
      const id = asString(item.call_id) ?? asString(item.id) ?? `call_${toolCalls.length}`;
      toolCalls.push({ id, name, arguments: asString(item.arguments) ?? "{}" });
    } else if (item.type === "reasoning") {
      const id = asString(item.id);
      const encrypted = asString(item.encrypted_content);
      if (id !== undefined && encrypted !== undefined) reasoning.push({ id, encrypted_content: encrypted });
    }
  }
  const usage = asObject(root.usage);
  const entry: AssistantEntry = { role: "assistant", text: texts.join("\n"), toolCalls };
  if (reasoning.length > 0) entry.reasoning = reasoning;
  return {
    entry,
    usage: usageOf(
      usage?.input_tokens,
      asObject(usage?.input_tokens_details)?.cached_tokens,
      usage?.output_tokens,
      asObject(usage?.output_tokens_details)?.reasoning_tokens,
    ),
  };
}

function parseChat(root: Loose): { entry: AssistantEntry; usage: Usage } {
  const message = asObject(asObject(asArray(root.choices)[0])?.message) ?? {};
  const toolCalls: ToolCall[] = [];
  for (const raw of asArray(message.tool_calls)) {
    const call = asObject(raw);
    const fn = asObject(call?.function);
    if (!call || !fn) continue;
    toolCalls.push({
      id: asString(call.id) ?? `call_${toolCalls.length}`,
      name: asString(fn.name) ?? "",
      arguments: asString(fn.arguments) ?? "{}",
    });
  }
  const usage = asObject(root.usage);
  return {
    entry: { role: "assistant", text: asString(message.content) ?? "", toolCalls },
    usage: usageOf(
      usage?.prompt_tokens,
      asObject(usage?.prompt_tokens_details)?.cached_tokens,
      usage?.completion_tokens,
      asObject(usage?.completion_tokens_details)?.reasoning_tokens,
    ),
  };
}

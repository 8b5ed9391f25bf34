// A fake model server on 127.0.0.1 for the real agent CLIs: OpenAI Responses SSE (codex), Anthropic Messages SSE
// (claude) and Gemini streamGenerateContent SSE (gemini). Scripted and stateless: a request that carries no tool
// result yet gets a tool call writing `script.file` (or running `script.command` in the CLI's shell tool); one that
// carries a tool result gets the final message.
import http from "node:http";
import path from "node:path";

/** Usage every scripted reply reports, per protocol, so tests can check the sums the CLIs print. */
export const FAKE_USAGE = { input: 1000, cached: 200, output: 50, reasoning: 10 };

/**
 * Starts the server. `options.script`: { file, content, final } (file relative to the agent's working directory,
 * which is read from the request: claude and gemini need an absolute path). `options.failStatus`: answer every
 * model call with this HTTP status (e.g. 500) and `options.failMessage`.
 */
export async function startFakeCliModels(options = {}) {
  const state = {
    script: { file: "hello.txt", content: "hello from the fake model\n", final: "Wrote hello.txt.", ...(options.script ?? {}) },
    failStatus: options.failStatus,
    failMessage: options.failMessage ?? "fake model server: scripted failure",
    requests: [],
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      state.requests.push({ method: req.method, path: url.pathname, body, text });
      try {
        route(state, req.method ?? "GET", url, body, text, res);
      } catch (error) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `fake server bug: ${String(error)}` } }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    state,
    /** Model calls seen, by route: "codex" | "claude" | "gemini". */
    calls(kind) {
      return state.requests.filter((r) => routeKind(r.method, r.path) === kind);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function routeKind(method, pathname) {
  if (method !== "POST") return undefined;
  if (pathname === "/v1/responses") return "codex";
  if (pathname === "/v1/messages") return "claude";
  if (/^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(pathname)) return "gemini";
  return undefined;
}

function route(state, method, url, body, text, res) {
  const kind = routeKind(method, url.pathname);
  if (kind === undefined) {
    // Start-up and side calls (HEAD /, telemetry, model lists): answer empty so nothing waits on us.
    res.writeHead(method === "HEAD" ? 200 : 404, { "content-type": "application/json" });
    res.end(method === "HEAD" ? undefined : JSON.stringify({ error: { message: `no route ${method} ${url.pathname}` } }));
    return;
  }
  if (state.failStatus !== undefined) return fail(kind, state, res);
  const cwd = workingDirectory(text);
  const target = { relative: state.script.file, absolute: path.resolve(cwd ?? "/nonexistent-cwd", state.script.file) };
  if (kind === "codex") return codexReply(state, body, target, res);
  if (kind === "claude") return claudeReply(state, body, target, res);
  return geminiReply(state, url, body, target, res);
}

function fail(kind, state, res) {
  const message = state.failMessage;
  const payload =
    kind === "claude"
      ? { type: "error", error: { type: "api_error", message } }
      : kind === "gemini"
        ? { error: { code: state.failStatus, message, status: "INTERNAL" } }
        : { error: { message, type: "server_error", code: null, param: null } };
  res.writeHead(state.failStatus, { "content-type": "application/json" });
  res.end(JSON.stringify(payload));
}

/** The agent's working directory, as each CLI writes it into its request (environment context / system prompt). */
function workingDirectory(text) {
  const patterns = [
    /<cwd>([^<]+)<\/cwd>/, // codex: environment context
    /Primary working directory: ([^\s"\\]+)/, // claude: system prompt
    /Workspace Directories:\*\*(?:\\n|\s)+- (\/[^\s"\\]+)/, // gemini: first user message
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match?.[1]) return match[1].replace(/[.,;:]+$/, "");
  }
  return undefined;
}

function sse(res, events) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const [event, data] of events) res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
  res.end();
}

// --- codex: POST /v1/responses, streaming ---
function codexReply(state, body, target, res) {
  const input = Array.isArray(body?.input) ? body.input : [];
  const answered = input.some((item) => item?.type === "function_call_output" || item?.type === "custom_tool_call_output");
  const id = `resp_${state.requests.length}`;
  const item = answered
    ? { type: "message", id: `msg_${id}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: state.script.final, annotations: [] }] }
    : state.script.command !== undefined
      ? { type: "function_call", id: `fc_${id}`, status: "completed", call_id: `call_${id}`, name: "exec_command", arguments: JSON.stringify({ cmd: state.script.command }) }
      : {
        type: "custom_tool_call",
        id: `ctc_${id}`,
        status: "completed",
        call_id: `call_${id}`,
        name: "apply_patch",
        input: `*** Begin Patch\n*** Add File: ${target.relative}\n${state.script.content
          .replace(/\n$/, "")
          .split("\n")
          .map((line) => `+${line}`)
          .join("\n")}\n*** End Patch\n`,
      };
  const usage = {
    input_tokens: FAKE_USAGE.input,
    input_tokens_details: { cached_tokens: FAKE_USAGE.cached },
    output_tokens: FAKE_USAGE.output,
    output_tokens_details: { reasoning_tokens: FAKE_USAGE.reasoning },
    total_tokens: FAKE_USAGE.input + FAKE_USAGE.output,
  };
  const response = { id, object: "response", status: "in_progress", model: body?.model ?? "gpt-5.5", output: [] };
  sse(res, [
    ["response.created", { type: "response.created", response }],
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    ["response.completed", { type: "response.completed", response: { ...response, status: "completed", output: [item], usage } }],
  ]);
}

// --- claude: POST /v1/messages ---
function claudeReply(state, body, target, res) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  const answered = Array.isArray(last?.content) && last.content.some((block) => block?.type === "tool_result");
  const id = `msg_${state.requests.length}`;
  const usage = { input_tokens: FAKE_USAGE.input - FAKE_USAGE.cached, cache_read_input_tokens: FAKE_USAGE.cached, cache_creation_input_tokens: 0, output_tokens: FAKE_USAGE.output };
  const block = answered
    ? { type: "text", text: state.script.final }
    : state.script.command !== undefined
      ? { type: "tool_use", id: `toolu_${state.requests.length}`, name: "Bash", input: { command: state.script.command, description: "scripted command" } }
      : { type: "tool_use", id: `toolu_${state.requests.length}`, name: "Write", input: { file_path: target.absolute, content: state.script.content } };
  const stopReason = answered ? "end_turn" : "tool_use";
  const message = { id, type: "message", role: "assistant", model: body?.model ?? "claude-sonnet-4-5", stop_reason: null, stop_sequence: null };
  if (body?.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...message, content: [block], stop_reason: stopReason, usage }));
    return;
  }
  const start = block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
  const delta =
    block.type === "text" ? { type: "text_delta", text: block.text } : { type: "input_json_delta", partial_json: JSON.stringify(block.input) };
  sse(res, [
    ["message_start", { type: "message_start", message: { ...message, content: [], usage: { ...usage, output_tokens: 1 } } }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: start }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: FAKE_USAGE.output } }],
    ["message_stop", { type: "message_stop" }],
  ]);
}

// --- gemini: POST /v1beta/models/<m>:streamGenerateContent?alt=sse (and :generateContent for side calls) ---
function geminiReply(state, url, body, target, res) {
  const contents = Array.isArray(body?.contents) ? body.contents : [];
  const last = contents[contents.length - 1];
  const answered = Array.isArray(last?.parts) && last.parts.some((part) => part?.functionResponse !== undefined);
  const part = answered
    ? { text: state.script.final }
    : state.script.command !== undefined
      ? { functionCall: { name: "run_shell_command", args: { command: state.script.command } } }
      : { functionCall: { name: "write_file", args: { file_path: target.absolute, content: state.script.content } } };
  const chunk = {
    candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
    usageMetadata: {
      promptTokenCount: FAKE_USAGE.input,
      cachedContentTokenCount: FAKE_USAGE.cached,
      candidatesTokenCount: FAKE_USAGE.output,
      thoughtsTokenCount: FAKE_USAGE.reasoning,
      totalTokenCount: FAKE_USAGE.input + FAKE_USAGE.output + FAKE_USAGE.reasoning,
    },
    modelVersion: "gemini-2.5-flash",
  };
  if (!url.pathname.includes(":stream")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(chunk));
    return;
  }
  sse(res, [[undefined, chunk]]);
}

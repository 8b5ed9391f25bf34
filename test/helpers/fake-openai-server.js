// A fake OpenAI-compatible model server on 127.0.0.1 that speaks the real wire protocol to the real `openai` SDK and
// to agent CLIs: scripted replies, every request recorded. Plain JS (ESM) so tests and benches over dist/ share it.
//
// API
//   const server = await startFakeOpenAI(options?)
//     options.replies   Reply[] — a queue, one reply per model call, taken in order
//     options.handler   (request, ctx) => Reply | Promise<Reply> — used when the queue is empty
//     options.delayMs   wait before every answer (ms; a reply's own delayMs adds to it)
//   server.url          "http://127.0.0.1:<port>"      server.baseURL  "http://127.0.0.1:<port>/v1"
//   server.requests     RecordedRequest[]: { index, method, path, api, headers, body, at } — every model call,
//                       in arrival order (api: "responses" | "chat"; headers lower-cased; body parsed JSON)
//   server.push(...replies)   adds to the queue          server.setHandler(fn)   replaces the handler
//   server.waitForRequests(n, timeoutMs?)  resolves once n calls arrived (rejects after the deadline)
//   server.close()      stops listening and drops open connections
//   ctx = { index, api, server }
//
// Reply — the model's answer in neutral form, shaped for the route it arrives on:
//   { text?: string, toolCalls?: [{ name, arguments: object | string, id? }],
//     usage?: { input_tokens?, output_tokens?, cached_tokens?, reasoning_tokens? } | null (omit usage),
//     output?: object[]   Responses output items sent as given (e.g. a `custom_tool_call` for codex's apply_patch),
//     status?: number, headers?: Record<string,string>, error?: string   an HTTP error ({"error":{message,…}}),
//     body?: object   sent as the JSON body as is,   delayMs?: number,
//     hang?: true     never answers (until close or the client gives up),
//     destroy?: true  drops the connection without an answer }
// A call with no reply left and no handler gets a 500 "fake server: no scripted reply for call N".
// POST /v1/responses with `stream: true` answers with SSE (response.created, output_item.added/done per item,
// response.completed); POST /v1/chat/completions with `stream: true` answers with chunk SSE ending in [DONE].
import http from "node:http";

const DEFAULT_USAGE = { input_tokens: 100, output_tokens: 20, cached_tokens: 0, reasoning_tokens: 0 };

export async function startFakeOpenAI(options = {}) {
  const queue = [...(options.replies ?? [])];
  let handler = options.handler;
  const requests = [];
  const waiters = [];
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      void answer(req, res, Buffer.concat(chunks).toString("utf8")).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `fake server bug: ${String(error)}`, type: "server_error" } }));
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function answer(req, res, text) {
    const path = (req.url ?? "").split("?")[0];
    const api = path === "/v1/responses" ? "responses" : path === "/v1/chat/completions" ? "chat" : undefined;
    if (req.method !== "POST" || api === undefined) {
      sendJson(res, 404, { error: { message: `fake server: no route ${req.method} ${req.url}`, type: "invalid_request_error" } });
      return;
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      sendJson(res, 400, { error: { message: "fake server: the body is not JSON", type: "invalid_request_error" } });
      return;
    }
    const index = requests.length;
    requests.push({ index, method: req.method, path, api, headers: { ...req.headers }, body, at: Date.now() });
    for (const waiter of [...waiters]) waiter();

    const ctx = { index, api, server: api_ };
    let reply;
    if (queue.length > 0) reply = queue.shift();
    else if (handler) reply = await handler(requests[index], ctx);
    else reply = { status: 500, error: `fake server: no scripted reply for call ${index}` };
    reply = reply ?? {};

    const delay = (options.delayMs ?? 0) + (reply.delayMs ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (reply.hang) return;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    if (reply.status !== undefined && reply.status >= 400) {
      const payload = reply.body ?? { error: { message: reply.error ?? `fake error ${reply.status}`, type: "fake_error", code: null } };
      sendJson(res, reply.status, payload, reply.headers);
      return;
    }
    if (reply.body !== undefined) {
      sendJson(res, reply.status ?? 200, reply.body, reply.headers);
      return;
    }
    const model = typeof body.model === "string" ? body.model : "fake-model";
    if (api === "responses") {
      const response = responsesBody(reply, model, index);
      if (body.stream) sendResponsesStream(res, response, reply.headers);
      else sendJson(res, 200, response, reply.headers);
    } else {
      const completion = chatBody(reply, model, index);
      if (body.stream) sendChatStream(res, completion, reply.headers);
      else sendJson(res, 200, completion, reply.headers);
    }
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const api_ = {
    port,
    url: `http://127.0.0.1:${port}`,
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    push(...replies) {
      queue.push(...replies);
    },
    setHandler(fn) {
      handler = fn;
    },
    waitForRequests(n, timeoutMs = 30_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice(0, n));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`fake server: ${requests.length} of ${n} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < n) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(requests.slice(0, n));
        };
        waiters.push(check);
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
  return api_;
}

function sendJson(res, status, payload, headers = {}) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "x-request-id": `req_fake_${Date.now()}`, ...headers });
  res.end(text);
}

function argumentsText(args) {
  return typeof args === "string" ? args : JSON.stringify(args ?? {});
}

function usageOf(reply) {
  if (reply.usage === null) return undefined;
  return { ...DEFAULT_USAGE, ...(reply.usage ?? {}) };
}

function responsesBody(reply, model, index) {
  const output = [];
  if (reply.output) output.push(...reply.output);
  if (reply.text !== undefined) {
    output.push({
      type: "message",
      id: `msg_${index}`,
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: reply.text, annotations: [] }],
    });
  }
  (reply.toolCalls ?? []).forEach((call, n) => {
    output.push({
      type: "function_call",
      id: `fc_${index}_${n}`,
      call_id: call.id ?? `call_${index}_${n}`,
      name: call.name,
      arguments: argumentsText(call.arguments),
      status: "completed",
    });
  });
  const usage = usageOf(reply);
  return {
    id: `resp_${index}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    ...(usage && {
      usage: {
        input_tokens: usage.input_tokens,
        input_tokens_details: { cached_tokens: usage.cached_tokens },
        output_tokens: usage.output_tokens,
        output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
        total_tokens: usage.input_tokens + usage.output_tokens,
      },
    }),
  };
}

function chatBody(reply, model, index) {
  const toolCalls = (reply.toolCalls ?? []).map((call, n) => ({
    id: call.id ?? `call_${index}_${n}`,
    type: "function",
    function: { name: call.name, arguments: argumentsText(call.arguments) },
  }));
  const usage = usageOf(reply);
  return {
    id: `chatcmpl_${index}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: reply.text ?? null, ...(toolCalls.length > 0 && { tool_calls: toolCalls }) },
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    ...(usage && {
      usage: {
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: usage.input_tokens + usage.output_tokens,
        prompt_tokens_details: { cached_tokens: usage.cached_tokens },
        completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
      },
    }),
  };
}

function startSse(res, headers = {}) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": `req_fake_${Date.now()}`, ...headers });
}

function sendResponsesStream(res, response, headers) {
  startSse(res, headers);
  let sequence = 0;
  const event = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  event("response.created", { response: { ...response, status: "in_progress", output: [] } });
  response.output.forEach((item, output_index) => {
    event("response.output_item.added", { output_index, item });
    event("response.output_item.done", { output_index, item });
  });
  event("response.completed", { response });
  res.end();
}

function sendChatStream(res, completion, headers) {
  startSse(res, headers);
  const choice = completion.choices[0];
  const base = { id: completion.id, object: "chat.completion.chunk", created: completion.created, model: completion.model };
  const toolCalls = (choice.message.tool_calls ?? []).map((call, index) => ({ index, ...call }));
  const delta = { role: "assistant", content: choice.message.content ?? "", ...(toolCalls.length > 0 && { tool_calls: toolCalls }) };
  res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }], usage: completion.usage ?? null })}\n\n`);
  res.write("data: [DONE]\n\n");
  res.end();
}

// Types of the fake OpenAI-compatible model server (fake-openai-server.js) for the TypeScript tests.

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  usage?: FakeUsage | null;
  output?: Record<string, unknown>[];
  status?: number;
  headers?: Record<string, string>;
  error?: string;
  body?: unknown;
  delayMs?: number;
  hang?: true;
  destroy?: true;
}

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  api: "responses" | "chat";
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body: `input` (Responses) or `messages` (Chat), `tools`, `model`, `stream`, … */
  body: { [key: string]: unknown; model?: string; stream?: boolean; input?: unknown[]; messages?: unknown[]; tools?: unknown[] };
  at: number;
}

export interface FakeContext {
  index: number;
  api: "responses" | "chat";
  server: FakeOpenAIServer;
}

export type FakeHandler = (request: RecordedRequest, ctx: FakeContext) => FakeReply | undefined | Promise<FakeReply | undefined>;

export interface FakeOpenAIServer {
  port: number;
  url: string;
  baseURL: string;
  requests: RecordedRequest[];
  push(...replies: FakeReply[]): void;
  setHandler(fn: FakeHandler | undefined): void;
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export function startFakeOpenAI(options?: { replies?: FakeReply[]; handler?: FakeHandler; delayMs?: number }): Promise<FakeOpenAIServer>;

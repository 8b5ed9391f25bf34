// The openai agent's conversation: call the model with the whole transcript, run the tools it asks for, repeat until
// it calls `finish` — with people's notes put in before each call, the budget checked before each call, and every
// call recorded before its tools run so a later attempt can resume without paying again.
import { createHash } from "node:crypto";
import type { Usage } from "../../schema/common.js";
import { addUsage, budgetExhaustedReason, emptyUsage, type AgentInput, type AgentResult } from "../contract.js";
import { buildTaskPrompt } from "../prompt.js";
import { callModel, modelOptions, type Connection } from "./client.js";
import { readRecord, recordFile, replayRecord, type RecordWriter } from "./record.js";
import { ModelCallError } from "./retry.js";
import { TOOL_SPECS, runTool, type ToolContext } from "./tools/index.js";
import { buildRequest, type Entry } from "./transcript.js";

export const DEFAULT_MAX_TURNS = 50;

export const SYSTEM_PROMPT = [
  "You are a coding agent doing one subtask in a git worktree of your own, through tools.",
  "Paths are relative to the worktree root. Read and search before you change code; edit with apply_patch (write_file for new or",
  "wholly rewritten files); run the tests and builds with run_command. Call report_progress now and then.",
  "When the work is done and checked, call finish with a short summary of what you changed and how you checked it (and the",
  "result, when the subtask asks for one). Do not commit, branch or tag: the worker commits your changes.",
  "Notes from people may arrive as messages while you work: follow them.",
  "The task text mentions `codex-worker report`, `codex-worker result` and a notes file: here, use report_progress, finish",
  "(with its result) and these messages instead.",
].join("\n");

const NUDGE =
  "If the work is done and checked, call finish with a summary (and the result the subtask asks for); otherwise go on with the tools.";

export interface LoopContext {
  input: AgentInput;
  connection: Connection;
  record: RecordWriter;
  tools: ToolContext;
  /** Aborted on cancel (input.signal) and when the attempt's time is up. */
  signal: AbortSignal;
  timedOut: () => boolean;
  maxTurns: number;
}

type Ending = Exclude<AgentResult, { ok: true }>["kind"];

class Conversation {
  entries: Entry[] = [];
  turn = 0;
  usage: Usage = emptyUsage();
  readonly noteIds = new Set<string>();
  constructor(private readonly ctx: LoopContext) {}

  /** Records an entry and adds it. Notes are fsynced (they are acknowledged next); the rest goes with the next call's line. */
  async add(entry: Entry, noteIds?: string[]): Promise<void> {
    await this.ctx.record.write({ type: "entry", entry, ...(noteIds && { note_ids: noteIds }) }, { sync: noteIds !== undefined });
    this.entries.push(entry);
    for (const id of noteIds ?? []) this.noteIds.add(id);
  }

  /** Usage with its credits, as the attempt reports it. */
  charged(): Usage {
    return { ...this.usage, credits: this.ctx.input.budget.creditsOf(this.usage) };
  }
}

/** Starts the transcript: from the record of the attempt this one resumes, else from the task prompt. */
async function begin(ctx: LoopContext, conversation: Conversation): Promise<void> {
  const { input, record, connection } = ctx;
  const from = input.resume?.fromAttempt;
  const replay = from === undefined ? undefined : replayRecord(readRecord(recordFile(input.recordDir, from)));
  const at = new Date().toISOString();
  const head = { type: "begin", task: input.task.id, attempt: input.token.attempt, api: connection.api, model: connection.model, at } as const;
  if (replay === undefined || replay.entries.length === 0) {
    if (from !== undefined) input.log(`openai: nothing recorded by attempt ${from} to resume; starting afresh`);
    await record.write(head, { sync: false });
    await conversation.add({ role: "system", text: SYSTEM_PROMPT });
    await conversation.add({ role: "user", text: buildTaskPrompt(input) });
    return;
  }
  await record.write({ ...head, resumed_from: from, next_turn: replay.nextTurn }, { sync: false });
  for (const entry of replay.entries) await record.write({ type: "entry", entry, replayed: true }, { sync: false });
  conversation.entries = [...replay.entries];
  for (const id of replay.noteIds) conversation.noteIds.add(id);
  conversation.turn = replay.nextTurn;
  input.log(`openai: resuming the conversation of attempt ${from} at turn ${replay.nextTurn} (${replay.inFlight} call(s) in flight made again)`);
  await conversation.add({
    role: "user",
    text: `(The work continues in a new attempt after attempt ${from} stopped unexpectedly. The worktree holds the changes made so far. Carry on from where you were.)`,
  });
}

/** Puts notes that arrived into the conversation, then acknowledges them: acknowledged means the model has them. */
async function takeNotes(ctx: LoopContext, conversation: Conversation): Promise<void> {
  const taken = await ctx.input.takeMessages?.();
  if (taken === undefined || taken.messages.length === 0) return;
  for (const message of taken.messages) {
    if (conversation.noteIds.has(message.id)) continue;
    const label = message.kind === "note" ? "Note" : message.kind.charAt(0).toUpperCase() + message.kind.slice(1);
    await conversation.add({ role: "user", text: `${label} from ${message.from}: ${message.text}` }, [message.id]);
    ctx.input.log(`openai: ${message.kind} from ${message.from} put into the conversation`);
  }
  await taken.ack();
}

function budgetLeft(ctx: LoopContext, conversation: Conversation): { spent: number; limit: number } | undefined {
  const { limit, spentBefore, creditsOf } = ctx.input.budget;
  if (limit === undefined) return undefined;
  const spent = spentBefore + creditsOf(conversation.usage);
  return spent >= limit ? { spent, limit } : undefined;
}

/** Runs the conversation to its end. Never throws for the model's or a tool's failure (only for a bug of ours). */
export async function converse(ctx: LoopContext): Promise<AgentResult> {
  const { input, connection, record } = ctx;
  const conversation = new Conversation(ctx);
  const end = (kind: Ending, reason: string, finalMessage?: string): AgentResult => ({
    ok: false,
    kind,
    reason,
    usage: conversation.charged(),
    ...(finalMessage !== undefined && { finalMessage }),
  });
  const stopped = (): AgentResult =>
    ctx.timedOut()
      ? end("timeout", `the attempt ran out of time (${input.timeoutMs} ms)`)
      : end("cancelled", "the attempt was cancelled");

  await begin(ctx, conversation);
  let lastText = "";
  let nudged = false;
  for (let calls = 0; calls < ctx.maxTurns; calls++) {
    if (ctx.signal.aborted) return stopped();
    await takeNotes(ctx, conversation);
    const over = budgetLeft(ctx, conversation);
    if (over) {
      return end("budget", budgetExhaustedReason(input.task.id, over.spent, over.limit));
    }

    const turn = conversation.turn++;
    const body = buildRequest(connection.api, conversation.entries, { ...modelOptions(connection), tools: TOOL_SPECS });
    const text = JSON.stringify(body);
    const hash = createHash("sha256").update(text).digest("hex");
    const key = `${input.task.id}:${input.token.attempt}:${turn}`;
    const estimate = Math.ceil(text.length / 4);
    await record.write({ type: "call", turn, hash, key, input_estimate: estimate, at: new Date().toISOString() });
    let reply;
    try {
      reply = await callModel(connection, body, {
        signal: ctx.signal,
        idempotencyKey: key,
        onRetry: ({ retry, delayMs, error }) => input.log(`openai: call ${turn} retry ${retry} in ${delayMs} ms after: ${error}`),
      });
    } catch (error: unknown) {
      if (!(error instanceof ModelCallError)) throw error;
      // A call cut off by cancel or the time limit may have been paid for: charge it as spent.
      if (error.kind === "cancelled") {
        conversation.usage = addUsage(conversation.usage, { input_tokens: estimate, calls: 1 });
        return stopped();
      }
      return end("failed", error.message, lastText || undefined);
    }
    conversation.usage = addUsage(conversation.usage, reply.usage);
    await record.write({
      type: "reply",
      turn,
      hash,
      ...(reply.requestId !== undefined && { request_id: reply.requestId }),
      entry: reply.entry,
      usage: reply.usage,
      at: new Date().toISOString(),
    });
    conversation.entries.push(reply.entry);
    if (reply.entry.text !== "") lastText = reply.entry.text;

    if (reply.entry.toolCalls.length === 0) {
      // An answer without tool calls may be a plan rather than the end: asked once to go on or call finish, a
      // second such answer in a row is taken as the final message (unless a structured result is still due).
      if (nudged && input.task.resultSchema === undefined && reply.entry.text.trim() !== "") {
        return { ok: true, finalMessage: reply.entry.text, usage: conversation.charged() };
      }
      nudged = true;
      await conversation.add({ role: "user", text: NUDGE });
      continue;
    }
    nudged = false;
    for (const call of reply.entry.toolCalls) {
      input.log(`openai: tool ${call.name} ${call.arguments.length > 200 ? `${call.arguments.slice(0, 200)}…` : call.arguments}`);
      const outcome = await runTool(ctx.tools, call.name, call.arguments);
      await conversation.add({ role: "tool", callId: call.id, output: outcome.output });
      if (outcome.finish) {
        await record.write({ type: "end", outcome: "finished", at: new Date().toISOString() });
        return {
          ok: true,
          finalMessage: outcome.finish.summary,
          ...(outcome.finish.result !== undefined && { result: outcome.finish.result }),
          usage: conversation.charged(),
        };
      }
      if (ctx.signal.aborted) return stopped();
    }
  }
  return end("failed", `the model made ${ctx.maxTurns} calls (max_turns) without calling finish`, lastText || undefined);
}

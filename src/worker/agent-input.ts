// What an attempt's agent is given besides the worktree: the subtask as the contract names it, what happened
// so far (people's notes and feedback, earlier attempts, the last conflict), the budget left, and where its files go.
import path from "node:path";
import { creditsFor, type AgentBudget, type AgentHistory, type AgentTask } from "../agents/contract.js";
import type { PlanTask } from "../plan/plan.js";
import type { Config } from "../schema/config.js";
import type { InboxFile } from "../schema/inbox.js";
import type { TaskState } from "../schema/progress.js";
import type { CodexPaths } from "../store/paths.js";
import type { AttemptToken } from "../ops/fence.js";

export function agentTask(subtask: PlanTask): AgentTask {
  const acceptance = subtask.acceptance === undefined ? [] : Array.isArray(subtask.acceptance) ? subtask.acceptance : [subtask.acceptance];
  return {
    id: subtask.id,
    name: subtask.name,
    description: subtask.description,
    acceptance,
    files: subtask.files ?? [],
    command: subtask.command,
    resultSchema: subtask.result_schema,
  };
}

/** The lead's words for a conflict end (attempts[].reason); the files follow them, comma-separated. */
const CONFLICT_REASON = /^merge conflict with the integration branch in (.+)$/;

/** Notes and feedback already acknowledged, oldest first; earlier attempts' ends; the files of the last conflict. */
export function attemptHistory(inbox: InboxFile, task: TaskState | undefined): AgentHistory {
  const messages = inbox.messages
    .filter((m) => (m.kind === "note" || m.kind === "feedback") && m.acked_at)
    .map((m) => ({ kind: m.kind, from: m.from ?? "someone", text: m.text ?? "", at: m.created_at }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const attempts = (task?.attempts ?? []).map((a) => ({ attempt: a.attempt, outcome: a.outcome, reason: a.reason }));
  const lastConflict = [...(task?.attempts ?? [])].reverse().find((a) => a.outcome === "conflict");
  const files = lastConflict?.reason?.match(CONFLICT_REASON)?.[1];
  return { messages, attempts, conflicts: files ? files.split(", ").filter(Boolean) : [] };
}

/** limit: the subtask's `budget`, else config `task_budget`; spent before: what the task's earlier attempts were charged. */
export function attemptBudget(subtask: PlanTask, task: TaskState | undefined, config: Config): AgentBudget {
  const rates = { creditsPer1kTokens: config.creditsPer1kTokens, creditsPer1kCachedTokens: config.creditsPer1kCachedTokens };
  return {
    limit: subtask.budget ?? config.taskBudget,
    spentBefore: task?.usage?.credits ?? 0,
    creditsOf: (usage) => creditsFor(usage, rates),
  };
}

/** Where an attempt's own files go: its log, the openai agent's call records, the prompt given to every kind. */
export function attemptFiles(paths: CodexPaths, token: Pick<AttemptToken, "task" | "attempt">): { logFile: string; recordDir: string; promptFile: string } {
  return {
    logFile: path.join(paths.dir, "logs", `${token.task}.a${token.attempt}.log`),
    recordDir: path.join(paths.dir, "agents", token.task),
    promptFile: path.join(paths.dir, "notes", `${token.task}.a${token.attempt}.prompt.md`),
  };
}

/** The final message as the hand-off keeps it: the end of it, where agents put their summary, within ~4 KiB. */
export function cutFinalMessage(text: string | undefined, limit = 4096): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  return trimmed.length > limit ? `…${trimmed.slice(-(limit - 1))}` : trimmed;
}

// The openai agent's tools: their names and JSON argument schemas as the model sees them, and one dispatcher that
// turns every failure into the tool's answer (a tool never crashes the agent).
import type { ToolSpec } from "../transcript.js";
import { schemaProblems } from "../schema-check.js";
import { applyPatch } from "./apply-patch.js";
import { listFiles, readFileTool, search, writeFileTool } from "./fs-tools.js";
import { ToolError } from "./paths.js";
import { runCommand, type CommandContext } from "./run-command.js";

const str = { type: "string" };
const path = { type: "string", description: "relative to the worktree root" };

export const TOOL_SPECS: ToolSpec[] = [
  {
    name: "list_files",
    description: "List the files under a folder of the worktree (recursively; .git and node_modules skipped).",
    parameters: { type: "object", properties: { path }, additionalProperties: false },
  },
  {
    name: "read_file",
    description: "Read a text file. offset: first line (1-based), limit: number of lines.",
    parameters: {
      type: "object",
      properties: { path, offset: { type: "integer", minimum: 1 }, limit: { type: "integer", minimum: 1 } },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "search",
    description: "Search the worktree's files for a JavaScript regular expression; answers file:line: text.",
    parameters: { type: "object", properties: { pattern: str, path }, required: ["pattern"], additionalProperties: false },
  },
  {
    name: "write_file",
    description: "Write a whole file (created with its folders, or replaced).",
    parameters: { type: "object", properties: { path, content: str }, required: ["path", "content"], additionalProperties: false },
  },
  {
    name: "apply_patch",
    description:
      'Edit files with a patch, applied whole or not at all: "*** Begin Patch", then per file "*** Add File: <path>" (+ lines), ' +
      '"*** Delete File: <path>", or "*** Update File: <path>" (optional "*** Move to: <path>") with "@@" hunks of " " context, ' +
      '"-" removed and "+" added lines; "*** End Patch" last.',
    parameters: { type: "object", properties: { patch: str }, required: ["patch"], additionalProperties: false },
  },
  {
    name: "run_command",
    description:
      "Run a command in the worktree: a string runs through sh -c, an array as argv. Answers the exit code and the output " +
      "(long output cut in the middle). timeout_ms defaults to 120000.",
    parameters: {
      type: "object",
      properties: {
        command: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
        timeout_ms: { type: "integer", minimum: 1 },
      },
      required: ["command"],
      additionalProperties: false,
    },
  },
  {
    name: "report_progress",
    description: "Tell the people watching how far along you are (percent 0-100) and what you are doing.",
    parameters: {
      type: "object",
      properties: { percent: { type: "number", minimum: 0, maximum: 100 }, detail: str },
      required: ["percent", "detail"],
      additionalProperties: false,
    },
  },
  {
    name: "finish",
    description: "End your work on the subtask: a short summary of what you changed and how you checked it, and the result when the subtask asks for one.",
    parameters: { type: "object", properties: { summary: str, result: {} }, required: ["summary"], additionalProperties: false },
  },
];

export interface ToolContext extends CommandContext {
  /** The worktree's real path: every path is resolved inside it. */
  root: string;
  resultSchema: Record<string, unknown> | undefined;
  reportProgress: (percent: number | undefined, detail: string | undefined) => Promise<void>;
}

export interface ToolOutcome {
  output: string;
  /** Set when `finish` was accepted: the attempt ends. */
  finish?: { summary: string; result?: unknown };
}

async function finish(ctx: ToolContext, args: Record<string, unknown>): Promise<ToolOutcome> {
  if (typeof args.summary !== "string" || args.summary.trim() === "") throw new ToolError("summary must be a non-empty string");
  if (ctx.resultSchema !== undefined) {
    if (args.result === undefined) {
      throw new ToolError(`this subtask needs a result matching its schema: call finish again with "result": ${JSON.stringify(ctx.resultSchema)}`);
    }
    const problems = schemaProblems(ctx.resultSchema, args.result);
    if (problems !== undefined) throw new ToolError(`the result does not match the subtask's schema: ${problems}. Fix it and call finish again.`);
  }
  return { output: "finished", finish: { summary: args.summary, ...(args.result !== undefined && { result: args.result }) } };
}

async function dispatch(ctx: ToolContext, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  switch (name) {
    case "list_files":
      return { output: await listFiles(ctx.root, args) };
    case "read_file":
      return { output: await readFileTool(ctx.root, args) };
    case "search":
      return { output: await search(ctx.root, args) };
    case "write_file":
      return { output: await writeFileTool(ctx.root, args) };
    case "apply_patch":
      return { output: await applyPatch(ctx.root, args) };
    case "run_command":
      return { output: await runCommand(ctx, args) };
    case "report_progress": {
      const percent = typeof args.percent === "number" && args.percent >= 0 && args.percent <= 100 ? args.percent : undefined;
      if (percent === undefined) throw new ToolError("percent must be a number from 0 to 100");
      await ctx.reportProgress(percent, typeof args.detail === "string" ? args.detail : undefined);
      return { output: "progress reported" };
    }
    case "finish":
      return finish(ctx, args);
    default:
      throw new ToolError(`there is no tool "${name}"; the tools are ${TOOL_SPECS.map((tool) => tool.name).join(", ")}`);
  }
}

/** Runs one tool call; every error, ours or the file system's, becomes the answer the model reads. */
export async function runTool(ctx: ToolContext, name: string, argumentsText: string): Promise<ToolOutcome> {
  let args: unknown;
  try {
    args = argumentsText.trim() === "" ? {} : JSON.parse(argumentsText);
  } catch {
    return { output: `error: the arguments of ${name} are not valid JSON: ${argumentsText.slice(0, 200)}` };
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    return { output: `error: the arguments of ${name} must be a JSON object` };
  }
  try {
    return await dispatch(ctx, name, args as Record<string, unknown>);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return { output: `error: ${message}` };
  }
}

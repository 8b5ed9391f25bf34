// Shared pieces of the file schemas: statuses, timestamps, durations, ids.
import { z } from "zod";
import { tryParseDuration } from "../util/duration.js";

import { TASK_STATUSES } from "./statuses.js";

export { TASK_STATUSES, FINAL_STATUSES } from "./statuses.js";
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Timestamp = z.iso.datetime({ offset: true }).describe("ISO-8601 UTC timestamp, e.g. 2026-11-21T10:30:00Z");

export const Duration = z
  .union([z.string(), z.number().nonnegative()])
  .refine((value) => tryParseDuration(value) !== undefined, {
    message: 'expected a duration such as "500ms", "3s", "2m" or "1h"',
  })
  .describe('a duration: "500ms", "3s", "2m", "1h", or a number of milliseconds');

/** Ids are checked for file- and ref-safety by the plan checks, which name the exact problem. */
export const Id = z.string().min(1, "an id cannot be empty");

export const Command = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe("a shell command line (run with sh -c) or an argv array (run without a shell)");

export const Usage = z
  .strictObject({
    input_tokens: z.number().int().nonnegative().optional().describe("prompt tokens, cached ones included"),
    cached_input_tokens: z.number().int().nonnegative().optional().describe("of input_tokens, those served from the model's cache"),
    output_tokens: z.number().int().nonnegative().optional().describe("completion tokens, reasoning included"),
    reasoning_tokens: z.number().int().nonnegative().optional().describe("of output_tokens, those spent reasoning"),
    calls: z.number().int().nonnegative().optional().describe("model calls made (paid or charged as spent)"),
    credits: z.number().nonnegative().optional().describe("credits charged: ceil(tokens / 1000 × credits_per_1k_tokens)"),
    cost_usd: z.number().nonnegative().optional().describe("cost in US dollars, where the agent CLI reports one"),
  })
  .describe("tokens, calls and credits spent");
export type Usage = z.infer<typeof Usage>;

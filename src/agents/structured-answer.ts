// One way for the planner and the reviewer to get a JSON answer matching a schema from any profile that can give
// one: an `openai` profile (structured output on the endpoint) or a `cli` profile whose CLI takes a schema
// (codex `--output-schema`, claude `--json-schema`).
import type { Usage } from "../schema/common.js";
import type { Config } from "../schema/config.js";
import { cliStructuredCall } from "./cli/structured-cli.js";
import { ModelCallError } from "./openai/retry.js";
import { structuredCall, type StructuredCallResult } from "./openai/structured.js";
import { answersToSchema, resolveProfile, schemaRefusal } from "./profiles.js";

export interface AnswerRequest {
  profileName: string;
  config: Pick<Config, "agents">;
  system: string;
  user: string;
  schema: Record<string, unknown>;
  schemaName: string;
  /** For a cli profile: the folder it runs in (ours, never the user's checkout), and the run's .codex folder. */
  scratchDir: string;
  codexDir: string;
  /** For a cli profile without a timeout of its own. */
  timeoutMs: number;
  creditsOf: (usage: Usage) => number;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  idempotencyKey?: string;
}

/** Why the profile cannot answer to a schema, or undefined when it can (an unknown profile says so too). */
export function structuredAnswerProblem(profileName: string, config: Pick<Config, "agents">): string | undefined {
  const resolved = resolveProfile(profileName, config);
  if (!resolved.ok) return resolved.reason;
  return answersToSchema(resolved.profile) ? undefined : schemaRefusal(profileName, resolved.profile);
}

export async function structuredAnswer<T = unknown>(request: AnswerRequest): Promise<StructuredCallResult<T>> {
  const problem = structuredAnswerProblem(request.profileName, request.config);
  const resolved = resolveProfile(request.profileName, request.config);
  if (problem !== undefined || !resolved.ok) throw new ModelCallError("config", problem ?? "unknown profile");
  const { profile } = resolved;
  const common = { system: request.system, user: request.user, schema: request.schema, schemaName: request.schemaName, creditsOf: request.creditsOf, ...(request.signal && { signal: request.signal }) };
  if (profile.type === "cli") {
    return cliStructuredCall<T>({ ...common, profile, profileName: request.profileName, scratchDir: request.scratchDir, codexDir: request.codexDir, timeoutMs: request.timeoutMs });
  }
  if (profile.type !== "openai") throw new ModelCallError("config", `${request.profileName} cannot answer to a JSON Schema`);
  return structuredCall<T>({
    ...common,
    profile,
    profileName: request.profileName,
    ...(request.env && { env: request.env }),
    ...(request.idempotencyKey && { idempotencyKey: request.idempotencyKey }),
  });
}

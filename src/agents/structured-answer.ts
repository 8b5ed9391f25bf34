// One way for the planner and the reviewer to get a JSON answer matching a schema from any profile that can give
// one: an `openai` profile (structured output on the endpoint) or a `cli` profile whose CLI takes a schema
// (codex `--output-schema`, claude `--json-schema`).
import type { Config } from "../schema/config.js";
import { cliStructuredCall, type CliStructuredOptions } from "./cli/structured-cli.js";
import { ModelCallError } from "./openai/retry.js";
import { structuredCall, type StructuredCallResult } from "./openai/structured.js";
import { answersToSchema, resolveProfile, schemaRefusal } from "./profiles.js";

/** What the CLI call needs (its profile is looked up here), and for an openai profile the environment and key. */
export type AnswerRequest = Omit<CliStructuredOptions, "profile" | "repairs"> & {
  config: Pick<Config, "agents">;
  env?: Record<string, string | undefined>;
  idempotencyKey?: string;
};

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

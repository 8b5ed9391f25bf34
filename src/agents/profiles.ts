// Agent profiles by name: config.json `agents` first (a name there replaces a built-in), then the built-in ones.
import type { AgentProfile, Config } from "../schema/config.js";
import { cliPreset } from "./cli/presets.js";
import type { Plan } from "../plan/plan.js";

/** The built-in profile names, in the order they are listed to people. */
export const BUILT_IN_PROFILES = ["shell", "codex", "claude", "gemini", "openai"] as const;

function builtIn(name: string): AgentProfile | undefined {
  if (name === "shell") return { type: "shell" };
  if (name === "openai") return { type: "openai" };
  return cliPreset(name);
}

/** Every profile name a subtask may use with this config: built-ins, then the config's own, without repeats. */
export function knownProfileNames(config: Pick<Config, "agents">): string[] {
  return [...new Set<string>([...BUILT_IN_PROFILES, ...Object.keys(config.agents)])];
}

export type ResolvedProfile = { ok: true; name: string; profile: AgentProfile } | { ok: false; name: string; reason: string };

/** The profile called `name`, or why there is none (naming the known ones and where to define a new one). */
export function resolveProfile(name: string, config: Pick<Config, "agents">): ResolvedProfile {
  // Own properties only: a name such as "constructor" must not find Object.prototype's.
  const configured = Object.hasOwn(config.agents, name) ? config.agents[name] : undefined;
  const profile = configured ?? builtIn(name);
  if (profile) return { ok: true, name, profile };
  return { ok: false, name, reason: unknownProfileMessage(name, config) };
}

export function unknownProfileMessage(name: string, config: Pick<Config, "agents">): string {
  return (
    `unknown agent profile ${JSON.stringify(name)}; known: ${knownProfileNames(config).join(", ")} ` +
    `(define it in config.json under "agents", e.g. "agents": { ${JSON.stringify(name)}: { "type": "cli", "command": [...] } })`
  );
}

/** The planner and the reviewer need a JSON answer: an openai profile gives one, and so do codex and claude CLIs. */
export function answersToSchema(profile: AgentProfile): boolean {
  return profile.type === "openai" || (profile.type === "cli" && (profile.output === "codex" || profile.output === "claude"));
}

export function schemaRefusal(name: string, profile: AgentProfile): string {
  const kind = profile.type === "cli" ? `cli, output ${profile.output ?? "text"}` : profile.type;
  return `${JSON.stringify(name)} (${kind}) cannot answer to a JSON Schema: use an "openai" profile, or a "cli" one with output codex or claude`;
}

/** A shell profile runs a command and spends no credits: a budget means nothing to it. */
export function spendsNothing(name: string, config: Pick<Config, "agents">): boolean {
  const resolved = resolveProfile(name, config);
  return resolved.ok && resolved.profile.type === "shell";
}

/** The profile a subtask runs with: its own `agent`, else the config's default. */
export function profileNameOf(task: { agent?: string | undefined }, config: Pick<Config, "agent">): string {
  return task.agent ?? config.agent;
}

/**
 * Every unknown profile name the plan and config use, as `place: message` lines for `codex-lead validate`:
 * the config's `agent` and `review.agent`, each feature's default `agent` and each subtask's `agent`.
 */
export function profileProblems(plan: Plan | undefined, config: Config, labels: { config: string; features: string }): string[] {
  const problems: string[] = [];
  const check = (place: string, name: string | undefined): void => {
    if (name === undefined) return;
    const resolved = resolveProfile(name, config);
    if (!resolved.ok) problems.push(`${place}: ${resolved.reason}`);
  };
  check(`${labels.config}: agent`, config.agent);
  check(`${labels.config}: review.agent`, config.reviewAgent);
  const reviewer = config.reviewAgent === undefined ? undefined : resolveProfile(config.reviewAgent, config);
  if (reviewer?.ok && !answersToSchema(reviewer.profile)) problems.push(`${labels.config}: review.agent: ${schemaRefusal(reviewer.name, reviewer.profile)}`);
  plan?.file.features.forEach((feature, f) => {
    check(`${labels.features}: features[${f}].agent (id ${JSON.stringify(feature.id)})`, feature.agent);
    feature.subtasks.forEach((subtask, s) => {
      check(`${labels.features}: features[${f}].subtasks[${s}].agent (id ${JSON.stringify(subtask.id)})`, subtask.agent);
    });
  });
  return problems;
}

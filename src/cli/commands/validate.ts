// `codex-lead validate`: config, plan (with every plan check), progress, inboxes and the repository, all problems at once.
import { readdirSync } from "node:fs";
import type { Command } from "commander";
import { CodexError, ExitCode, InvalidFileError, PlanError } from "../../errors.js";
import { waves } from "../../plan/graph.js";
import { loadPlan, type Plan } from "../../plan/load-plan.js";
import { profileProblems } from "../../agents/profiles.js";
import { schemaProblems } from "../../agents/openai/schema-check.js";
import type { CodexStore } from "../../store/codex-store.js";
import type { CliContext } from "../context.js";
import { repositoryProblems } from "../../lead/repository-checks.js";

/** The inbox files (.codex/inbox/*.json), sorted; none when the folder is missing. */
function inboxNames(store: CodexStore): string[] {
  try {
    return readdirSync(store.paths.inboxDir).filter((name) => name.endsWith(".json")).sort();
  } catch {
    return [];
  }
}

type Target = "config" | "features" | "progress" | "inbox" | "repository";

/** The targets `codex-lead edit` opens. */
const EDITABLE = new Set<Target>(["config", "features", "progress"]);

/** Runs `load`; an expected problem with the file becomes lines in `problems` instead of an error. */
async function collect<T>(target: Target, label: string, problems: Map<Target, string[]>, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    let lines: string[];
    if (error instanceof InvalidFileError || error instanceof PlanError) lines = error.problems.map((p) => `${label}: ${p}`);
    else if (error instanceof CodexError && error.code === "E_MISSING_FILE") lines = [error.message];
    else if (error instanceof CodexError) lines = [`${label}: ${error.message}`, ...error.details.map((d) => `${label}: ${d}`)];
    else throw error;
    problems.set(target, [...(problems.get(target) ?? []), ...lines]);
    return undefined;
  }
}

export async function validateRepo(store: CodexStore): Promise<{ plan: Plan; waves: string[][] }> {
  const problems = new Map<Target, string[]>();
  const config = await collect("config", store.config.label, problems, () => store.resolvedConfig());
  const plan = await collect("features", store.features.label, problems, () => loadPlan(store));
  await collect("progress", store.progress.label, problems, () => store.progress.read());
  // An invalid inbox holds back its task in a run (it cannot get its assignment): said here first.
  for (const name of inboxNames(store)) {
    const inbox = store.inbox(name.slice(0, -".json".length));
    await collect("inbox", inbox.label, problems, () => inbox.read());
  }
  if (config) {
    await collect("repository", "repository", problems, async () => {
      const found = await repositoryProblems(store.paths.root, config.integrationBranch).catch((error: unknown) => {
        throw new CodexError("E_NOT_GIT", `${store.paths.root} is not a usable git repository: ${error instanceof Error ? error.message : String(error)}`);
      });
      if (found.length > 0) throw new CodexError("E_REPOSITORY", found[0] ?? "", { details: found.slice(1) });
    });
  }
  const add = (target: Target, line: string): void => void problems.set(target, [...(problems.get(target) ?? []), line]);
  // Profiles need both files: a name used in either must be built in or defined in config.json `agents`.
  if (config) {
    for (const line of profileProblems(plan, config, { config: store.config.label, features: store.features.label })) {
      add(line.startsWith(store.config.label) ? "config" : "features", line);
    }
  }
  for (const task of plan?.tasks ?? []) {
    if (task.result_schema === undefined) continue;
    try {
      schemaProblems(task.result_schema, null); // compiles the schema; only a bad schema throws
    } catch (error: unknown) {
      const problem = error instanceof Error ? error.message : String(error);
      add("features", `${store.features.label}: subtask ${JSON.stringify(task.id)}: result_schema is not a valid JSON Schema: ${problem}`);
    }
  }
  if (problems.size > 0 || plan === undefined) {
    const lines = [...problems.values()].flat();
    const missing = lines.some((line) => line.endsWith("does not exist"));
    const targets = [...problems.keys()].filter((target) => EDITABLE.has(target));
    throw new CodexError("E_INVALID", `${lines.length} problem${lines.length === 1 ? "" : "s"} found`, {
      details: lines,
      exitCode: ExitCode.usage,
      hint: missing
        ? "Run `codex-lead init` first, then write the plan."
        : `Fix ${problems.size === 1 ? "it" : "them"}${targets.length > 0 ? ` (${targets.map((t) => `\`codex-lead edit ${t}\``).join(", ")})` : ""}, then run \`codex-lead validate\` again.`,
    });
  }
  return { plan, waves: waves(plan) };
}

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command("validate")
    .description("check config.json, features.json (with every plan check), progress.json, the inboxes and the repository")
    .action(async () => {
      const { plan, waves: planWaves } = await validateRepo(await ctx.store());
      const features = plan.file.features.length;
      const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
      ctx.output.data(`ok: ${plural(features, "feature")}, ${plural(plan.tasks.length, "subtask")}, ${plural(planWaves.length, "wave")}`);
    });
}

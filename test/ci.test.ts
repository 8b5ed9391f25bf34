// CI use: `run --dry-run` (waves, agents, budgets; nothing changed), the budget gate's exit code, and the
// GitHub workflow `init --ci github` writes, parsed as YAML.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildPlan } from "../src/plan/plan.js";
import { scheduleView } from "../src/plan/schedule-view.js";
import { FeaturesFile } from "../src/schema/features.js";
import { runLead } from "./helpers/lead-cli.js";
import { git, repoRoot, tempRepo } from "./helpers/temp.js";

const PLAN = {
  features: [
    {
      id: "api",
      feature: "API",
      subtasks: [
        { id: "model", name: "Model", command: "true", budget: 30, effort: 2 },
        { id: "login", name: "Login", deps: ["model"], agent: "codex", budget: 50, effort: 4 },
        { id: "docs", name: "Docs", command: "true", effort: 1 },
      ],
    },
  ],
};

function planned(config: Record<string, unknown> = { agent: "openai", task_budget: 20 }): string {
  const repo = tempRepo();
  expect(runLead(repo, ["init"]).status).toBe(0);
  writeFileSync(path.join(repo, ".codex", "features.json"), `${JSON.stringify(PLAN, null, 2)}\n`);
  writeFileSync(path.join(repo, ".codex", "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  return repo;
}

/**
 * Every file under .codex/ with its content and mtime, and the repository's refs: what "changes nothing" compares.
 * The plan-check cache is left out: every command that reads the plan (status, validate) may write it.
 */
function fingerprint(repo: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (file === path.join(repo, ".codex", "cache")) continue;
      if (statSync(file).isDirectory()) walk(file);
      else files.push(`${file} ${statSync(file).mtimeMs} ${readFileSync(file, "utf8")}`);
    }
  };
  walk(path.join(repo, ".codex"));
  return `${files.join("\n")}\n${git(repo, ["for-each-ref"])}`;
}

describe("codex-lead run --dry-run", () => {
  it("prints the waves with agent and budget, the critical path and the planned credits, and changes nothing", () => {
    const repo = planned();
    const before = fingerprint(repo);
    const result = runLead(repo, ["run", "--dry-run"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        "Dry run: nothing is started or changed.",
        "Wave 1 (side by side):",
        "  model  agent openai  effort 2  budget 30",
        "  docs   agent openai  effort 1  budget 20",
        "Wave 2:",
        "  login  agent codex  effort 4  budget 50  after model",
        "Critical path (by effort): model → login",
        "Planned credits: 100",
        "",
      ].join("\n"),
    );
    expect(fingerprint(repo)).toBe(before);
    expect(existsSync(path.join(repo, ".codex", "events.jsonl"))).toBe(false);
  });

  it("prints JSON with --json", () => {
    const result = runLead(planned(), ["run", "--dry-run", "--json"]);
    const view = JSON.parse(result.stdout) as { waves: { id: string; budget: number }[][]; plannedCredits: number; criticalPath: string[] };
    expect(view.waves.map((wave) => wave.map((task) => task.id))).toEqual([["model", "docs"], ["login"]]);
    expect(view.plannedCredits).toBe(100);
    expect(view.criticalPath).toEqual(["model", "login"]);
  });
});

describe("scheduleView", () => {
  it("leaves completed subtasks out and counts only what each remaining one may still spend", () => {
    const plan = buildPlan(FeaturesFile.parse(PLAN));
    const view = scheduleView(plan, { agent: "openai", taskBudget: 20 }, { tasks: { model: { status: "completed" }, login: { status: "failed", usage: { credits: 20 } } } });
    expect(view.completed).toBe(1);
    expect(view.waves.map((wave) => wave.map((task) => [task.id, task.budget, task.after]))).toEqual([[["login", 30, []], ["docs", 20, []]]]);
    expect(view.plannedCredits).toBe(50);
    expect(view.criticalPath).toEqual(["login"]);
  });
});

describe("the budget gate", () => {
  it("passes at or under --max-credits", () => {
    const result = runLead(planned(), ["run", "--dry-run", "--max-credits", "100"]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("budget gate passed: planned 100 of at most 100 credits");
  });

  it("exits 6 over --max-credits, naming the biggest budgets", () => {
    const result = runLead(planned(), ["run", "--dry-run", "--max-credits", "99"]);
    expect(result.status).toBe(6);
    expect(result.stderr).toContain("planned credits 100 exceed --max-credits 99");
    expect(result.stderr).toContain("login: budget 50");
    expect(result.stderr).not.toContain("    at ");
  });

  it("exits 6 when a subtask has no budget, so the plan has no upper bound", () => {
    const result = runLead(planned({ agent: "openai" }), ["run", "--dry-run", "--max-credits", "1000"]);
    expect(result.status).toBe(6);
    expect(result.stderr).toContain("the planned credits have no upper bound: 1 subtask has no budget");
    expect(result.stderr).toContain("docs: no budget");
  });

  it("counts shell subtasks as spending nothing: they need no budget", () => {
    const result = runLead(planned({ task_budget: 20 }), ["run", "--dry-run", "--max-credits", "50"]);
    expect(result.stdout).toContain("  model  agent shell  effort 2  spends no credits\n");
    expect(result.stdout).toContain("Planned credits: 50\n");
    expect(result.status, result.stderr).toBe(0);
  });

  it("refuses a --max-credits that is not a number", () => {
    const result = runLead(planned(), ["run", "--dry-run", "--max-credits", "lots"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("expected a number of credits");
  });
});

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { if: string; steps: Step[] }>;
}

describe("codex-lead init --ci github", () => {
  it("writes a workflow: a dry run with the budget gate on pull requests, the run behind a variable on main, with artifacts", () => {
    const repo = tempRepo();
    const result = runLead(repo, ["init", "--ci", "github"]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("created .github/workflows/codex-crew.yml");
    const text = readFileSync(path.join(repo, ".github", "workflows", "codex-crew.yml"), "utf8");
    const workflow = parse(text) as Workflow;
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    expect(workflow.on["push"]).toEqual({ branches: ["main"] });
    const version = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    expect(text).toContain(`CODEX_CREW_VERSION: "${version}"`);

    const plan = workflow.jobs["plan"];
    expect(plan?.if).toBe("github.event_name == 'pull_request'");
    const runs = (plan?.steps ?? []).map((step) => step.run ?? step.uses);
    expect(runs).toContain('codex-lead run --dry-run --max-credits "$MAX_CREDITS" | tee codex-plan.txt');
    expect(runs).toContain("codex-lead report > codex-report.md");
    const planUpload = plan?.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
    expect(planUpload?.if).toBe("always()");
    expect(String(planUpload?.with?.["path"]).split("\n").filter(Boolean)).toEqual(["codex-plan.txt", "codex-report.md", ".codex/features.json"]);

    const run = workflow.jobs["run"];
    expect(run?.if).toBe("github.event_name == 'push' && vars.CODEX_CREW_RUN == 'true'");
    const runSteps = (run?.steps ?? []).map((step) => step.run ?? step.uses);
    expect(runSteps.indexOf("codex-lead run")).toBeGreaterThan(runSteps.indexOf('codex-lead run --dry-run --max-credits "$MAX_CREDITS"'));
    const runUpload = run?.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
    expect(String(runUpload?.with?.["path"]).split("\n").filter(Boolean)).toEqual([".codex/progress.json", ".codex/events.jsonl", "codex-report.md"]);
  });

  it("never overwrites a workflow that is there", () => {
    const repo = tempRepo();
    expect(runLead(repo, ["init", "--ci", "github"]).status).toBe(0);
    const file = path.join(repo, ".github", "workflows", "codex-crew.yml");
    writeFileSync(file, "# mine\n");
    const again = runLead(repo, ["init", "--ci", "github"]);
    expect(again.status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("# mine\n");
  });

  it("refuses a provider it does not know", () => {
    const result = runLead(tempRepo(), ["init", "--ci", "gitlab"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("gitlab");
  });
});

// codex-lead as people run it: real processes in temp repositories, exit codes, stdout/stderr and the files they change.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { CodexError, ExitCode } from "../src/errors.js";
import { createOutput, wantsColor, type Stream } from "../src/cli/output.js";
import { reportError, runCli } from "../src/cli/run-main.js";
import { leadBin, tempDir, tempRepo } from "./helpers/temp.js";
import { MINIMAL_PLAN } from "./helpers/plans.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lead(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Result {
  const result = spawnSync(process.execPath, [leadBin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, CODEX_DEBUG: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const ANSI = /\u001b\[/;
const STACK = "    at ";


function codexFile(dir: string, name: string): string {
  return path.join(dir, ".codex", name);
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, "utf8"));
}

function events(dir: string): Array<Record<string, unknown>> {
  return readFileSync(codexFile(dir, "events.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
}

/** A temp repo after `codex-lead init`, with the minimal plan of DESIGN.md. */
function planned(): string {
  const dir = tempRepo();
  expect(lead(dir, ["init"]).code).toBe(0);
  writeJson(codexFile(dir, "features.json"), MINIMAL_PLAN);
  return dir;
}

function setTask(dir: string, id: string, state: Record<string, unknown>): void {
  const progress = readJson(codexFile(dir, "progress.json"));
  progress.tasks[id] = state;
  writeJson(codexFile(dir, "progress.json"), progress);
}

describe("init", () => {
  it("creates .codex/ and is idempotent, never overwriting a person's file", () => {
    const dir = tempRepo();
    const first = lead(dir, ["init"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("created .codex/config.json");
    expect(first.stderr).toContain("created .codex/features.json");
    expect(first.stderr).toContain("next: write the plan in .codex/features.json (`codex-lead edit features`), then run `codex-lead validate`");
    const config = codexFile(dir, "config.json");
    writeFileSync(config, '{ "workers": 7 }\n');
    const files = readdirSync(path.join(dir, ".codex")).sort();
    const second = lead(dir, ["init"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^already set up: \d+ files kept as they are$/m);
    expect(second.stderr).not.toContain("created");
    expect(readFileSync(config, "utf8")).toBe('{ "workers": 7 }\n');
    expect(readdirSync(path.join(dir, ".codex")).sort()).toEqual(files);
  });

  it("uses -C for the repository root", () => {
    const dir = tempRepo();
    const elsewhere = tempDir();
    expect(lead(elsewhere, ["-C", dir, "init"]).code).toBe(0);
    expect(readJson(codexFile(dir, "config.json"))).toBeTypeOf("object");
    const missing = lead(elsewhere, ["-C", path.join(elsewhere, "nope"), "status"]);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain("no such directory");
  });

  it("finds the root from a subfolder of the repository", () => {
    const dir = tempRepo();
    const sub = path.join(dir, ".codex");
    expect(lead(sub, ["init"]).code).toBe(0);
    expect(readJson(codexFile(dir, "progress.json")).tasks).toEqual({});
  });

  it("finds the root of a linked worktree, whose .git is a file, from a subfolder of it", () => {
    const dir = tempRepo();
    const linked = path.join(tempDir(), "linked");
    expect(spawnSync("git", ["worktree", "add", "-q", "--detach", linked], { cwd: dir }).status).toBe(0);
    const sub = path.join(linked, "deep", "er");
    mkdirSync(sub, { recursive: true });
    expect(lead(sub, ["init"]).code).toBe(0);
    expect(readJson(codexFile(linked, "progress.json")).tasks).toEqual({});
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe("validate", () => {
  it("accepts the minimal plan of DESIGN.md", () => {
    const dir = planned();
    const result = lead(dir, ["validate"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("ok: 1 feature, 2 subtasks, 2 waves\n");
    expect(result.code, result.stderr).toBe(0);
  });

  const cases: Array<[string, (plan: any) => void, string]> = [
    ["duplicate ids", (plan) => plan.features[0].subtasks.push({ id: "auth-model", name: "again" }), 'duplicate subtask id "auth-model"'],
    ["unknown deps", (plan) => (plan.features[0].subtasks[1].deps = ["auth-modle"]), 'unknown dep "auth-modle" (did you mean "auth-model"?)'],
    ["a dependency cycle", (plan) => (plan.features[0].subtasks[0].deps = ["auth-login"]), "dependency cycle: auth-model -> auth-login -> auth-model"],
    ["an id with a path separator", (plan) => (plan.features[0].subtasks[0].id = "auth/model"), 'subtask id "auth/model"'],
    ["an id with ..", (plan) => (plan.features[0].subtasks[0].id = "a..b"), 'subtask id "a..b"'],
    ["an id with whitespace", (plan) => (plan.features[0].subtasks[0].id = "auth model"), 'subtask id "auth model"'],
    ["an id with a leading -", (plan) => (plan.features[0].subtasks[0].id = "-model"), 'subtask id "-model"'],
    ["an id ending in .lock", (plan) => (plan.features[0].subtasks[0].id = "model.lock"), 'subtask id "model.lock"'],
    ["an unknown field", (plan) => (plan.features[0].subtasks[0].dependencies = []), 'unknown field "dependencies"'],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what} with exit 2`, () => {
      const dir = planned();
      const plan = structuredClone(MINIMAL_PLAN) as any;
      change(plan);
      writeJson(codexFile(dir, "features.json"), plan);
      const result = lead(dir, ["validate"]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^codex-lead: \d+ problems? found\n/);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("hint: Fix it (`codex-lead edit features`), then run `codex-lead validate` again.");
      expect(result.stderr).not.toContain(STACK);
    });
  }

  it("reports every broken file at once, with line and column for bad JSON", () => {
    const dir = planned();
    writeFileSync(codexFile(dir, "config.json"), '{ "workers": 0 }\n');
    writeFileSync(codexFile(dir, "progress.json"), '{\n  "tasks": {\n}\n');
    const result = lead(dir, ["validate"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("  .codex/config.json: workers:");
    expect(result.stderr).toMatch(/ {2}\.codex\/progress\.json: line \d+, column \d+: /);
    expect(result.stderr).toContain("`codex-lead edit config`, `codex-lead edit progress`");
    expect(result.stderr).not.toContain(STACK);
  });
});

describe("status and report", () => {
  it("prints status as text without colour when not a terminal, and as parseable JSON", () => {
    const dir = planned();
    setTask(dir, "auth-model", { status: "failed", error: "tests failed", attempt: 3 });
    const text = lead(dir, ["status"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("2 tasks, 0% completed");
    expect(text.stdout).toContain("tests failed");
    expect(text.stdout).not.toMatch(ANSI);
    expect(text.stderr).toBe("");
    const json = lead(dir, ["status", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.counts).toEqual({ not_started: 1, in_progress: 0, blocked: 0, completed: 0, failed: 1 });
    expect(parsed.failed[0].id).toBe("auth-model");
  });

  it("respects NO_COLOR and writes no ANSI codes off a terminal, even for errors", () => {
    const dir = planned();
    for (const env of [{ NO_COLOR: "1" }, {}]) {
      const ok = lead(dir, ["status"], env);
      expect(ok.stdout).not.toMatch(ANSI);
      const bad = lead(dir, ["nope"], env);
      expect(bad.stderr).not.toMatch(ANSI);
    }
  });

  it("prints the markdown report", () => {
    const dir = planned();
    setTask(dir, "auth-model", { status: "completed", completed_at: "2026-01-02T03:04:05Z" });
    const result = lead(dir, ["report"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("**Overall**: 1/2 tasks (50%)");
    expect(result.stdout).toContain("Create User model");
    expect(result.stdout).not.toMatch(ANSI);
  });

  it("names the broken file, line and column, with a hint and no stack", () => {
    const dir = planned();
    writeFileSync(codexFile(dir, "progress.json"), '{ "tasks": { "auth-model": { "status": "done" } } }\n');
    const schema = lead(dir, ["status"]);
    expect(schema.code, schema.stderr).toBe(2);
    expect(schema.stderr).toContain("codex-lead: .codex/progress.json is invalid: tasks.auth-model.status:");
    expect(schema.stderr).toContain("hint: Fix the file in your editor or run `codex-lead edit progress`");
    writeFileSync(codexFile(dir, "progress.json"), '{ "tasks": { ,} }\n');
    const syntax = lead(dir, ["status"]);
    expect(syntax.code, syntax.stderr).toBe(2);
    expect(syntax.stderr).toMatch(/^codex-lead: \.codex\/progress\.json is invalid: line 1, column \d+: /);
    expect(syntax.stderr).not.toContain(STACK);
  });
});

describe("send", () => {
  it("puts a note in the task's inbox and prints its id", () => {
    const dir = planned();
    const result = lead(dir, ["send", "auth-login", "use bcrypt, not md5"]);
    expect(result.code, result.stderr).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^m-/);
    const inbox = readJson(codexFile(dir, "inbox/auth-login.json"));
    expect(inbox.messages).toEqual([expect.objectContaining({ id, kind: "note", from: "person", text: "use bcrypt, not md5" })]);
    expect(events(dir).map((event) => event.type)).toEqual(["inbox.sent"]);
  });

  it("refuses an unknown task with a did-you-mean and exit 2", () => {
    const dir = planned();
    const result = lead(dir, ["send", "auth-logn", "hello"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe('codex-lead: unknown task "auth-logn"\nhint: Did you mean "auth-login"?\n');
  });
});

describe("retry, block, unblock, cancel", () => {
  it("change progress.json under the lock and append events", () => {
    const dir = planned();
    const progress = codexFile(dir, "progress.json");

    const block = lead(dir, ["block", "auth-model", "--reason", "waiting for the schema"]);
    expect(block.code, block.stderr).toBe(0);
    expect(block.stdout).toBe("auth-model: not_started -> blocked (waiting for the schema)\n");
    expect(readJson(progress).tasks["auth-model"]).toMatchObject({ status: "blocked", reason: "waiting for the schema" });

    const unblock = lead(dir, ["unblock", "auth-model"]);
    expect(unblock.code, unblock.stderr).toBe(0);
    expect(readJson(progress).tasks["auth-model"].status).toBe("not_started");

    const cancel = lead(dir, ["cancel", "auth-login", "--reason", "not needed"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(readJson(progress).tasks["auth-login"]).toMatchObject({ status: "blocked", reason: "not needed" });

    setTask(dir, "auth-model", { status: "failed", error: "boom", attempt: 3 });
    const retry = lead(dir, ["retry", "auth-model"]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toBe("auth-model: failed -> not_started (retried by a person)\n");
    expect(readJson(progress).tasks["auth-model"]).toMatchObject({ status: "not_started", attempt: 3 });

    expect(events(dir).map((event) => [event.type, event.task, event.from, event.to])).toEqual([
      ["task.status", "auth-model", "not_started", "blocked"],
      ["task.status", "auth-model", "blocked", "not_started"],
      ["task.status", "auth-login", "not_started", "blocked"],
      ["task.status", "auth-model", "failed", "not_started"],
    ]);
  });

  it("refuses a transition that does not apply, naming the next command", () => {
    const dir = planned();
    setTask(dir, "auth-model", { status: "failed", error: "boom", attempt: 3 });
    const result = lead(dir, ["unblock", "auth-model"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe('codex-lead: cannot unblock task "auth-model": it is failed\nhint: Run `codex-lead retry auth-model` to run it again.\n');
  });

  it("succeeds and says so when the task is already in the state asked for, exit 0, nothing written", () => {
    const dir = planned();
    const progress = codexFile(dir, "progress.json");
    expect(lead(dir, ["block", "auth-model", "--reason", "needs a design"]).code).toBe(0);
    const before = readFileSync(progress, "utf8");
    const runs = [
      [["block", "auth-model"], "auth-model is already blocked (needs a design)\n"],
      [["cancel", "auth-model"], "auth-model is already blocked (needs a design)\n"],
      [["unblock", "auth-login"], "auth-login is not blocked: it is not_started\n"],
      [["retry", "auth-login"], "auth-login is already not_started: it runs once its deps are completed\n"],
    ] as const;
    for (const [args, said] of runs) {
      const result = lead(dir, [...args]);
      expect([result.code, result.stdout, result.stderr], args.join(" ")).toEqual([0, said, ""]);
    }
    expect(readFileSync(progress, "utf8")).toBe(before);
    expect(events(dir).map((event) => [event.type, event.task, event.to])).toEqual([["task.status", "auth-model", "blocked"]]);
  });
});

describe("usage errors", () => {
  const cases: Array<[string, string[], string, string]> = [
    ["an unknown command", ["frobnicate"], "codex-lead: unknown command 'frobnicate'", "hint: run `codex-lead --help` for the commands and flags"],
    ["a misspelled command", ["staus"], "(Did you mean status?)", "hint: run `codex-lead --help`"],
    ["an unknown flag", ["status", "--jsn"], "codex-lead: unknown option '--jsn'", "hint: run `codex-lead status --help` for the usage"],
    ["a missing argument", ["send", "auth-model"], "codex-lead: missing required argument 'message'", "hint: run `codex-lead send --help` for the usage"],
    ["too many arguments", ["retry", "a", "b"], "codex-lead: too many arguments for 'retry'", "hint: run `codex-lead retry --help`"],
    ["a bad duration", ["run", "--stall-timeout", "soon"], "option '--stall-timeout <duration>' argument 'soon' is invalid", "hint: run `codex-lead run --help`"],
    ["a bad heartbeat", ["run", "--heartbeat", "5 minutes"], "option '--heartbeat <duration>' argument '5 minutes' is invalid", "hint: run `codex-lead run --help`"],
    ["a bad worker count", ["run", "--workers", "0"], "option '--workers <n>' argument '0' is invalid", "hint: run `codex-lead run --help`"],
    ["a bad attempt cap", ["run", "--max-attempts", "x"], "option '--max-attempts <n>' argument 'x' is invalid", "hint: run `codex-lead run --help`"],
    ["an empty message", ["send", "auth-model", "  "], "codex-lead: the message is empty", "hint: "],
  ];
  for (const [what, args, message, hint] of cases) {
    it(`exits 2 on ${what}, with a hint and no stack`, () => {
      const dir = planned();
      const result = lead(dir, args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(hint);
      expect(result.stderr).not.toContain(STACK);
      expect(result.stdout).toBe("");
    });
  }

  it("prints help with exit 0 for --help, and with exit 2 when no command is given", () => {
    const dir = tempDir();
    const help = lead(dir, ["--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: codex-lead [options] [command]");
    for (const command of ["init", "validate", "status", "report", "send", "retry", "block", "unblock", "cancel", "edit", "run"]) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const none = lead(dir, []);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain("Usage: codex-lead");
  });

  it("refuses to run without a plan, with a hint and no stack", () => {
    const dir = tempRepo();
    const result = lead(dir, ["run", "--workers", "1", "--stall-timeout", "5s"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("features.json does not exist");
    expect(result.stderr).toContain("hint: Run `codex-lead init`");
    expect(result.stderr).not.toContain(STACK);
  });

  it("tells how to start when .codex/ is missing", () => {
    const dir = tempRepo();
    const result = lead(dir, ["report"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("codex-lead: .codex/features.json does not exist");
    expect(result.stderr).toContain("hint: Run `codex-lead init`");
    expect(result.stderr).not.toContain(STACK);
  });
});

describe("run-main and output (in process)", () => {
  function capture(isTTY = false): { stream: Stream; text: () => string } {
    let text = "";
    return { stream: { isTTY, write: (chunk: string) => (text += chunk) }, text: () => text };
  }

  it("turns an unexpected error into one line, exit 1, and the stack only with CODEX_DEBUG=1", async () => {
    const out = capture();
    const err = capture();
    const output = createOutput(out.stream, err.stream, {});
    const build = () =>
      new Command("codex-lead").exitOverride().command("boom").action(() => {
        throw new TypeError("x is not a function");
      }).parent as Command;
    const code = await runCli(build, ["node", "codex-lead", "boom"], output);
    expect(code).toBe(ExitCode.internal);
    expect(err.text()).toBe("codex-lead: x is not a function\nthis is a bug; rerun with CODEX_DEBUG=1 for the stack\n");
    const debug = capture();
    expect(reportError("codex-lead", new TypeError("x"), createOutput(out.stream, debug.stream, {}), { CODEX_DEBUG: "1" })).toBe(1);
    expect(debug.text()).toContain(STACK);
  });

  it("prints a CodexError as message, indented details and hint, with its exit code", () => {
    const err = capture();
    const error = new CodexError("E_TEST", "the thing failed", { details: ["first", "second"], hint: "run `codex-lead status`", exitCode: ExitCode.busy });
    expect(reportError("codex-lead", error, createOutput(capture().stream, err.stream, {}), {})).toBe(5);
    expect(err.text()).toBe("codex-lead: the thing failed\n  first\n  second\nhint: run `codex-lead status`\n");
  });

  it("colours only a terminal, and never with NO_COLOR set", () => {
    expect(wantsColor({ isTTY: true, write: () => true }, {})).toBe(true);
    expect(wantsColor({ isTTY: true, write: () => true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColor({ isTTY: false, write: () => true }, {})).toBe(false);
    expect(wantsColor({ write: () => true }, {})).toBe(false);
    const tty = capture(true);
    reportError("codex-lead", new CodexError("E_X", "no"), createOutput(capture().stream, tty.stream, {}), {});
    expect(tty.text()).toMatch(ANSI);
    const plainTty = capture(true);
    reportError("codex-lead", new CodexError("E_X", "no"), createOutput(capture().stream, plainTty.stream, { NO_COLOR: "1" }), {});
    expect(plainTty.text()).toBe("codex-lead: no\n");
  });
});

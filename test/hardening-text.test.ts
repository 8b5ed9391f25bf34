// Text from plans, agents and subtask output: no escape sequence reaches a terminal, no secret of the environment is
// written down, nothing reaches features.json but short status words, and a name cannot forge commit trailers.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createOutput } from "../src/cli/output.js";
import { redactSecrets } from "../src/util/redact.js";
import { terminalSafe, visible } from "../src/util/terminal-text.js";
import { workerShimScript } from "../src/worker/agent-env.js";
import { node, RunRepo } from "./helpers/run-harness.js";
import { tempDir } from "./helpers/temp.js";

const ESC = "\u001b";
/** The clipboard-writing OSC 52, a screen clear and a colour: what a hostile name or agent output would carry. */
const HOSTILE = `${ESC}]52;c;cHduZWQ=\u0007${ESC}[2J${ESC}[31mred`;

/** A node one-liner as an argv command (no shell reads it). */
const script = (code: string): string[] => [node, "-e", code];

describe("visible and redactSecrets", () => {
  it("shows every control character as an escape and leaves plain text alone", () => {
    expect(visible(HOSTILE)).toBe("\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x1b[31mred");
    expect(visible("a\nb\tc\u202ed\u009b")).toBe("a\\nb\\tc\\u202ed\\x9b");
    expect(visible("a\nb\tc", { multiline: true })).toBe("a\nb\tc");
    expect(visible("Grüße ✓ plain")).toBe("Grüße ✓ plain");
  });

  it("terminalSafe keeps line breaks, tabs and our own colour codes, and nothing else", () => {
    expect(terminalSafe(`\u001b[31mred\u001b[39m\n\tnext`)).toBe(`\u001b[31mred\u001b[39m\n\tnext`);
    const sneaky = `${ESC}]52;c;cHduZWQ=\u0007${ESC}[2J${ESC}[5;1H\r`;
    expect(terminalSafe(`\u001b[1mbold\u001b[22m ${sneaky}\n`)).toBe("\u001b[1mbold\u001b[22m \\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x1b[5;1H\\r\n");
  });

  it("where the CLI writes no colour (a pipe, NO_COLOR), a colour code from data is shown too", () => {
    expect(terminalSafe(`\u001b[31mred\u001b[39m\n\tnext`, false)).toBe("\\x1b[31mred\\x1b[39m\n\tnext");
    const written: string[] = [];
    const pipe = { isTTY: false, write: (chunk: string) => written.push(chunk) };
    const output = createOutput(pipe, pipe, {});
    output.data(`name \u001b[31mred\u001b[39m`);
    output.say(`\u001b[1mbold\u001b[22m`);
    expect(written).toEqual(["name \\x1b[31mred\\x1b[39m\n", "\\x1b[1mbold\\x1b[22m\n"]);
  });

  it("replaces the values of secret-named variables of 8 characters or more", () => {
    const env = { FOO_API_KEY: "s3cr3t-value-1", GH_TOKEN: "tok-abcdefgh", DB_PASSWORD: "hunter22!", SHORT_KEY: "abc", HOME: "/home/someone" };
    expect(redactSecrets("key s3cr3t-value-1 token tok-abcdefgh pw hunter22! short abc home /home/someone", env)).toBe(
      "key *** token *** pw *** short abc home /home/someone",
    );
  });
});

describe("the agent shim", () => {
  it("runs an installation whose path holds $(...), backquotes and quotes without evaluating any of it", () => {
    const dir = tempDir("codex-shim-");
    const install = path.join(dir, "it's $(touch pwned) `touch pwned2` \"q\"");
    mkdirSync(install, { recursive: true });
    const bin = path.join(install, "codex-worker.js");
    writeFileSync(bin, "process.stdout.write('args: ' + process.argv.slice(2).join('|'))");
    const shim = path.join(dir, "codex-worker");
    writeFileSync(shim, workerShimScript(node, bin), { mode: 0o755 });
    const out = execFileSync(shim, ["report", "--detail", "$(touch pwned3)"], { cwd: dir, encoding: "utf8" });
    expect(out).toBe("args: report|--detail|$(touch pwned3)");
    for (const name of ["pwned", "pwned2", "pwned3"]) expect(existsSync(path.join(dir, name))).toBe(false);
  });
});

describe("hostile text through a run", () => {
  it("escape sequences in a name and in an agent's stderr come out visible in run, status and report", async () => {
    const repo = await RunRepo.create(
      [{ id: "evil", name: `Evil ${HOSTILE}`, command: script(`process.stderr.write(${JSON.stringify(HOSTILE)}); process.exit(1)`) }],
      { max_attempts: 1 },
    );
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain("\\x1b]52;c;cHduZWQ=\\x07");
    expect(run.stderr).not.toContain(ESC);
    expect(repo.task("evil").error).toContain(`${ESC}]52`); // kept as it was written, in the file

    const status = await repo.lead(["status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("evil");
    expect(status.stdout).toContain("\\x1b[2J");
    expect(status.stdout + status.stderr).not.toContain(ESC);

    const report = await repo.lead(["report"]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain("Evil \\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x1b[31mred");
    expect(report.stdout + report.stderr).not.toContain(ESC);
  });

  it("a file name with an escape sequence comes out visible in show and changes (every command's output is guarded)", async () => {
    const repo = await RunRepo.create([
      { id: "first", command: script("require('fs').writeFileSync('plain.txt', 'x')") },
      { id: "named", deps: ["first"], command: script(`require('fs').writeFileSync(${JSON.stringify(`evil-${ESC}[2J.txt`)}, 'x')`) },
    ]);
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(0);
    for (const args of [["show", "named"], ["changes", "--since", "first"]]) {
      const out = await repo.lead(args);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/evil-(\\x1b|\\033)\[2J\.txt/); // ours, or git's own quoting
      expect(out.stdout + out.stderr).not.toContain(ESC);
    }
  });

  it("a secret printed on stderr is *** in progress.json and events.jsonl, and no stderr reaches features.json", async () => {
    const secret = "sk-test-0123456789abcdef";
    const repo = await RunRepo.create(
      [{ id: "leaky", command: script("process.stderr.write('the key is ' + process.env.FOO_API_KEY + ' (marker-' + 'stderr)\\n'); process.exit(1)") }],
      { max_attempts: 2 },
    );
    const run = await repo.lead(["run"], { FOO_API_KEY: secret });
    expect(run.code, run.stderr).toBe(3);

    const progress = readFileSync(path.join(repo.dir, "progress.json"), "utf8");
    expect(progress).toContain("the key is ***");
    expect(progress).not.toContain(secret);
    const events = readFileSync(path.join(repo.dir, "events.jsonl"), "utf8");
    expect(events).toContain("the key is ***");
    expect(events).not.toContain(secret);
    for (const log of readdirSync(path.join(repo.dir, "logs"))) {
      expect(readFileSync(path.join(repo.dir, "logs", log), "utf8")).not.toContain(secret);
    }
    expect(run.stderr).not.toContain(secret);

    const features = repo.featuresText();
    expect(features).not.toContain(secret);
    expect(features).not.toContain("marker-stderr");
    expect(JSON.parse(features).blockers).toEqual(["leaky: failed after 2 attempts: failed (see `codex-lead status`)"]);
  });

  it("a name with a line break and a trailer look-alike completes, with the real trailers on its commit", async () => {
    const repo = await RunRepo.create([
      { id: "tricky", name: "Do it\n\nTask: other\nAttempt: 9", command: script("require('fs').writeFileSync('tricky.txt', 'x')") },
    ]);
    const run = await repo.lead(["run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(repo.task("tricky")).toMatchObject({ status: "completed", attempt: 1 });
    const commit = repo.task("tricky").commit ?? "";
    expect(repo.git(["log", "-1", "--format=%s", commit])).toBe("tricky: Do it Task: other Attempt: 9");
    expect(repo.git(["log", "-1", "--format=%(trailers:key=Task,valueonly,separator=%x2c)|%(trailers:key=Attempt,valueonly,separator=%x2c)", commit])).toBe("tricky|1");
  });
});

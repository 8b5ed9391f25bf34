// Never hang, always answer Ctrl-C, and say clearly what is wrong with an odd repository: an invalid inbox holds back
// its own task only, prototype-named ids work, too-short durations are refused, a retry backoff is shown as a wait,
// and no commits, a BOM, a folder instead of a file or a file nested 100,000 levels deep each get a clear message.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { progressLine } from "../src/cli/run-display.js";
import { FAST_CONFIG, node, RunRepo } from "./helpers/run-harness.js";
import { runLead } from "./helpers/lead-cli.js";
import { tempDir } from "./helpers/temp.js";

const script = (code: string): string[] => [node, "-e", code];
const quick = script("require('fs').writeFileSync(process.env.CODEX_TASK + '.txt', 'x')");

describe("never hang", () => {
  it("an invalid inbox holds back its task only, says so once, and the lead stops on SIGINT within seconds", async () => {
    const repo = await RunRepo.create([
      { id: "held", command: quick },
      { id: "free", command: quick },
    ]);
    mkdirSync(path.join(repo.dir, "inbox"), { recursive: true });
    writeFileSync(path.join(repo.dir, "inbox", "held.json"), '{"messages": [{"bogus": 1}]}\n');
    const validate = await repo.lead(["validate"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(".codex/inbox/held.json: ");

    const run = repo.start();
    await run.waitForEvent("task.completed", (event) => event.task === "free");
    const notes = () => run.of("run.note").filter((event) => event.message.startsWith("held waits: .codex/inbox/held.json is invalid"));
    await run.until("the note about held's inbox", () => notes().length > 0);
    // Give a spinning lead time to show itself: two more progress ticks (about a second apart when nothing changes).
    const ticks = () => run.of("run.progress").length;
    const before = ticks();
    await run.until("two more progress ticks", () => ticks() >= before + 2);
    expect(notes()).toHaveLength(1);
    expect(repo.inbox("free").messages.filter((m) => m.kind === "assignment")).toHaveLength(1);
    expect(repo.progress().tasks["held"]?.status ?? "not_started").toBe("not_started");

    const asked = Date.now();
    process.kill(run.pid, "SIGINT");
    const exit = await run.waitForExit(10_000);
    expect(exit, run.describe()).toEqual({ code: 130, signal: null });
    expect(Date.now() - asked).toBeLessThan(8000);
  });

  it("a fixed inbox lets the held task start", async () => {
    const repo = await RunRepo.create([{ id: "held", command: quick }]);
    mkdirSync(path.join(repo.dir, "inbox"), { recursive: true });
    writeFileSync(path.join(repo.dir, "inbox", "held.json"), "{ not json\n");
    const run = repo.start();
    await run.waitForEvent("run.note", (event) => event.message.startsWith("held waits:"));
    rmSync(path.join(repo.dir, "inbox", "held.json"));
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.task("held").status).toBe("completed");
  });

  it("task ids constructor, toString and __proto__ run and complete like any other", async () => {
    const ids = ["constructor", "toString", "__proto__"];
    const repo = await RunRepo.create(ids.map((id) => ({ id, command: quick })));
    const run = repo.start();
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const progress = repo.progress();
    for (const id of ids) {
      expect(Object.hasOwn(progress.tasks, id)).toBe(true);
      expect(progress.tasks[id]?.status).toBe("completed");
      expect(repo.tags().has(`codex/task/${id}`)).toBe(true);
    }
    const status = await repo.lead(["status"]);
    expect(status.stdout).toContain("3 tasks, 100% completed");
  });
});

describe("durations below their minimum", () => {
  it('heartbeat "0ms" and a stall timeout not longer than the heartbeat are refused by validate and run', async () => {
    const repo = await RunRepo.create([{ id: "t", command: quick }], { heartbeat: "0ms" });
    const validate = await repo.lead(["validate"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain("heartbeat: 0ms is too short: a heartbeat must be at least 50ms");
    const run = await repo.lead(["run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("heartbeat: 0ms is too short");

    writeFileSync(path.join(repo.dir, "config.json"), JSON.stringify({ ...FAST_CONFIG, heartbeat: "2s", stall_timeout: "1s" }));
    const pair = await repo.lead(["validate"]);
    expect(pair.code).toBe(2);
    expect(pair.stderr).toContain("stall_timeout: 1000ms must be longer than the heartbeat (2000ms)");
    writeFileSync(path.join(repo.dir, "config.json"), JSON.stringify(FAST_CONFIG));
    const flags = await repo.lead(["run", "--heartbeat", "5s"]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain("stall_timeout: 3000ms must be longer than the heartbeat (5000ms)");
  });
});

describe("a task waiting for its not_before", () => {
  it("is shown as waiting, with the time, in status, report and the run's progress line", async () => {
    const repo = await RunRepo.create([{ id: "later", command: quick }]);
    const until = new Date(Date.now() + 4000).toISOString();
    writeFileSync(path.join(repo.dir, "progress.json"), JSON.stringify({ tasks: { later: { status: "not_started", not_before: until } } }));
    const status = await repo.lead(["status"]);
    expect(status.stdout).toMatch(new RegExp(`later\\s+waits until ${until.replace(/[.]/g, "\\.")} \\(in \\d+s\\)`));
    const report = await repo.lead(["report"]);
    expect(report.stdout).toContain("- `later` waits until ");

    const run = repo.start();
    const waiting = await run.waitForEvent("run.progress", (event) => (event.snapshot.waitingUntil?.length ?? 0) > 0);
    expect(waiting.snapshot.waitingUntil).toEqual([{ task: "later", until }]);
    expect(progressLine(waiting.snapshot)).toContain(`1 waiting until ${until.slice(11, 19)} UTC (later)`);
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
  });
});

describe("odd repositories get a message naming the file and the fix, exit 2, no stack", () => {
  /** A git repository with `codex-lead init` done and a one-subtask plan; `commit: false` leaves it without commits. */
  function oddRepo(options: { commit?: boolean } = {}): string {
    const dir = tempDir("codex-odd-");
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
    if (options.commit !== false) execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "initial"], { cwd: dir });
    expect(runLead(dir, ["init"]).status).toBe(0);
    const plan = { features: [{ id: "f", feature: "odd", subtasks: [{ id: "t", name: "t", command: ["true"] }] }] };
    writeFileSync(path.join(dir, ".codex", "features.json"), JSON.stringify(plan));
    return dir;
  }

  function expectClear(dir: string, args: string[], ...words: string[]): void {
    const result = runLead(dir, args);
    expect(result.status, result.stderr).toBe(2);
    for (const word of words) expect(result.stderr).toContain(word);
    expect(result.stderr).not.toContain("this is a bug");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }

  it("no commits yet", () => {
    const dir = oddRepo({ commit: false });
    expectClear(dir, ["validate"], "no commits yet", "git commit --allow-empty");
    expectClear(dir, ["run"], "no commits yet", "git commit --allow-empty");
  });

  it("a UTF-8 BOM at the start of a JSON file", () => {
    const dir = oddRepo();
    writeFileSync(path.join(dir, ".codex", "config.json"), `\uFEFF${JSON.stringify(FAST_CONFIG)}`);
    expectClear(dir, ["validate"], ".codex/config.json", "byte order mark (BOM)", "save it as UTF-8 without BOM");
    expectClear(dir, ["run"], ".codex/config.json", "byte order mark (BOM)");
  });

  it("a directory where a file should be", () => {
    const dir = oddRepo();
    rmSync(path.join(dir, ".codex", "progress.json"));
    mkdirSync(path.join(dir, ".codex", "progress.json"));
    expectClear(dir, ["validate"], ".codex/progress.json is a directory, not a file");
    expectClear(dir, ["status"], ".codex/progress.json is a directory, not a file", "mv .codex/progress.json");
    expectClear(dir, ["run"], ".codex/progress.json is a directory, not a file");
  });

  it("a JSON file nested 100,000 levels deep", () => {
    const dir = oddRepo();
    const deep = `{"features": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    writeFileSync(path.join(dir, ".codex", "features.json"), deep);
    expectClear(dir, ["validate"], ".codex/features.json", "nested too deeply");
    expectClear(dir, ["run"], ".codex/features.json", "nested too deeply");
    expectClear(dir, ["status"], ".codex/features.json", "nested too deeply");
    writeFileSync(path.join(dir, ".codex", "config.json"), `{"agents": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    expectClear(dir, ["validate"], ".codex/config.json", "nested too deeply");
  });
});

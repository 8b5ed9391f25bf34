// The shell agent against real fixture processes: outcomes, messages, argv safety, timeouts, cancel and process-group kills.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isProcessAlive, killProcessGroup, runShellAgent, type AgentOutcome } from "../src/agents/index.js";
import { repoRoot, tempDir, waitFor } from "./helpers/temp.js";

const node = process.execPath;
const fixture = (name: string): string => path.join(repoRoot, "test", "fixtures", name);

function base(cwd: string) {
  return { cwd, env: {}, timeoutMs: 30_000 };
}

function failure(outcome: AgentOutcome): Extract<AgentOutcome, { ok: false }> {
  if (outcome.ok) throw new Error(`expected a failure, got success: ${outcome.stdoutTail}`);
  return outcome;
}

describe("runShellAgent", () => {
  it("reports success with the output tails", async () => {
    const cwd = tempDir();
    const outcome = await runShellAgent({ ...base(cwd), command: [node, fixture("agent-succeed.mjs"), "a b"] });
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, stderrTail: "" });
    expect(JSON.parse(outcome.stdoutTail)).toEqual({ args: ["a b"], value: null });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("runs a string through sh -c, in cwd, with the environment added to ours", async () => {
    const cwd = tempDir();
    const outcome = await runShellAgent({
      ...base(cwd),
      command: 'echo "$CODEX_TEST_VALUE"; pwd; test -n "$PATH" && echo has-path; echo to-stderr >&2',
      env: { CODEX_TEST_VALUE: "it's $HOME `x`" },
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.stdoutTail).toBe(`it's $HOME \`x\`\n${cwd}\nhas-path\n`);
    expect(outcome.stderrTail).toBe("to-stderr\n");
  });

  it("passes only the given environment with extendEnv: false", async () => {
    const cwd = tempDir();
    const outcome = await runShellAgent({
      ...base(cwd),
      command: [node, "-e", "process.stdout.write(Object.keys(process.env).sort().join(','))"],
      env: { ONLY_THIS: "1" },
      extendEnv: false,
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.stdoutTail).toBe("ONLY_THIS");
  });

  it("reports a failure with the exit code and the stderr tail in one line", async () => {
    const cwd = tempDir();
    const command = `${node} ${fixture("agent-fail.mjs")} 7`;
    const outcome = failure(await runShellAgent({ ...base(cwd), command }));
    expect(outcome.reason).toBe("exit");
    expect(outcome.exitCode).toBe(7);
    expect(outcome.signal).toBeUndefined();
    expect(outcome.message).toBe(`exit: \`${command}\` failed with exit code 7 — stderr: warning: first line | error: something broke`);
    expect(outcome.stdoutTail).toBe("working\n");
    expect(outcome.stderrTail).toBe("warning: first line\nerror: something broke\n");
  });

  it("never hands argv values to a shell", async () => {
    const cwd = tempDir();
    const values = ["$(touch pwned)", "; touch pwned2; rm -rf .", "`touch pwned3`", "a && touch pwned4", "'\"|>x"];
    const outcome = await runShellAgent({ ...base(cwd), command: [node, fixture("agent-succeed.mjs"), ...values] });
    expect(outcome.ok).toBe(true);
    expect(JSON.parse(outcome.stdoutTail)).toEqual({ args: values, value: null });
    for (const name of ["pwned", "pwned2", "pwned3", "pwned4", "x"]) expect(existsSync(path.join(cwd, name))).toBe(false);
  });

  it("reports a command that cannot start as a spawn failure", async () => {
    const cwd = tempDir();
    const outcome = failure(await runShellAgent({ ...base(cwd), command: [path.join(cwd, "no-such-agent"), "x"] }));
    expect(outcome.reason).toBe("spawn");
    expect(outcome.message).toMatch(/^spawn: `.*no-such-agent x` could not start in .*ENOENT/);
    const empty = failure(await runShellAgent({ ...base(cwd), command: [] }));
    expect(empty.message).toBe("spawn: `` could not start: the command is empty");
  });

  it("lets the agent write files in its cwd", async () => {
    const cwd = tempDir();
    const outcome = await runShellAgent({ ...base(cwd), command: [node, fixture("agent-write-file.mjs"), "result.txt", "42"] });
    expect(outcome.ok).toBe(true);
    expect(readFileSync(path.join(cwd, "result.txt"), "utf8")).toBe("42\n");
  });

  it("keeps only the last 4 KB of each stream and hands every line to onOutput", async () => {
    const cwd = tempDir();
    const lines: string[] = [];
    let errLines = 0;
    const outcome = await runShellAgent({
      ...base(cwd),
      command: [node, fixture("agent-lots-of-output.mjs"), "5000"],
      onOutput: (line, stream) => (stream === "stdout" ? lines.push(line) : errLines++),
    });
    expect(outcome.ok).toBe(true);
    expect(lines).toHaveLength(5000);
    expect(lines[0]).toBe(`line 1 ${"x".repeat(40)}`);
    expect(lines[4999]).toBe(`line 5000 ${"x".repeat(40)}`);
    expect(errLines).toBe(50);
    expect(outcome.stdoutTail).toHaveLength(4096);
    expect(outcome.stdoutTail.endsWith(`line 5000 ${"x".repeat(40)}\n`)).toBe(true);
    expect(outcome.stderrTail.endsWith("err 5000\n")).toBe(true);
  });

  it("on timeout kills the whole process group, the grandchild too", async () => {
    const cwd = tempDir();
    let grandchild = 0;
    let leader = 0;
    const outcome = failure(
      await runShellAgent({
        ...base(cwd),
        command: [node, fixture("agent-grandchild.mjs"), "hang"],
        timeoutMs: 1000,
        killGraceMs: 1000,
        onSpawn: (pid) => (leader = pid),
        onOutput: (line) => {
          const match = /^grandchild (\d+)$/.exec(line);
          if (match) grandchild = Number(match[1]);
        },
      }),
    );
    expect(outcome.reason).toBe("timeout");
    expect(outcome.signal).toBe("SIGTERM");
    expect(outcome.message).toBe(`timeout: \`${node} ${fixture("agent-grandchild.mjs")} hang\` timed out after 1000 ms (killed with SIGTERM)`);
    expect(grandchild).toBeGreaterThan(0);
    expect(leader).toBeGreaterThan(0);
    await waitFor("the grandchild to be gone", () => !isProcessAlive(grandchild), 2000, 20);
    expect(isProcessAlive(leader)).toBe(false);
  });

  it("does not wait for pipes a grandchild holds after the agent exits, and kills the grandchild", async () => {
    const cwd = tempDir();
    let grandchild = 0;
    const outcome = await runShellAgent({
      ...base(cwd),
      command: [node, fixture("agent-grandchild.mjs"), "exit"],
      killGraceMs: 500,
      onOutput: (line) => {
        const match = /^grandchild (\d+)$/.exec(line);
        if (match) grandchild = Number(match[1]);
      },
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.durationMs).toBeLessThan(5000);
    expect(grandchild).toBeGreaterThan(0);
    await waitFor("the grandchild to be gone", () => !isProcessAlive(grandchild), 2000, 20);
  });

  it("is cancelled through its AbortSignal", async () => {
    const cwd = tempDir();
    const controller = new AbortController();
    const outcome = failure(
      await runShellAgent({
        ...base(cwd),
        command: [node, fixture("agent-hang.mjs")],
        signal: controller.signal,
        onOutput: (line) => {
          if (line === "started") controller.abort();
        },
      }),
    );
    expect(outcome.reason).toBe("cancelled");
    expect(outcome.signal).toBe("SIGTERM");
    expect(outcome.message).toBe(`cancelled: \`${node} ${fixture("agent-hang.mjs")}\` was cancelled (killed with SIGTERM)`);
    expect(outcome.durationMs).toBeLessThan(5000);
  });

  it("does not start when already cancelled", async () => {
    const cwd = tempDir();
    let spawned = false;
    const outcome = failure(
      await runShellAgent({
        ...base(cwd),
        command: [node, fixture("agent-write-file.mjs")],
        signal: AbortSignal.abort(),
        onSpawn: () => (spawned = true),
      }),
    );
    expect(outcome.reason).toBe("cancelled");
    expect(spawned).toBe(false);
    expect(existsSync(path.join(cwd, "out.txt"))).toBe(false);
  });

  it("sends SIGKILL to an agent that ignores SIGTERM once the grace period is over", async () => {
    const cwd = tempDir();
    let pid = 0;
    // Stopped once it says it started, i.e. once its SIGTERM handler is in place, however slow the machine.
    const stop = new AbortController();
    const outcome = failure(
      await runShellAgent({
        ...base(cwd),
        command: [node, fixture("agent-ignore-sigterm.mjs")],
        timeoutMs: 120_000,
        killGraceMs: 700,
        signal: stop.signal,
        onSpawn: (p) => (pid = p),
        onOutput: (line) => {
          if (line.includes("started")) stop.abort();
        },
      }),
    );
    expect(outcome.reason).toBe("cancelled");
    expect(outcome.signal).toBe("SIGKILL");
    expect(outcome.stdoutTail).toBe("started\ngot SIGTERM\n");
    expect(outcome.durationMs).toBeGreaterThanOrEqual(700);
    expect(outcome.durationMs).toBeLessThan(60_000);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("reports death by a signal", async () => {
    const cwd = tempDir();
    const outcome = failure(await runShellAgent({ ...base(cwd), command: "kill -9 $$" }));
    expect(outcome).toMatchObject({ reason: "signal", signal: "SIGKILL", message: "signal: `kill -9 $$` was killed by SIGKILL" });
  });
});

describe("killProcessGroup and isProcessAlive", () => {
  it("kill a detached process group and see it gone", async () => {
    const child = spawn(node, [fixture("agent-grandchild.mjs"), "hang"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    const pid = child.pid ?? 0;
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const grandchild = await waitFor("the grandchild pid", () => Number(/grandchild (\d+)/.exec(text)?.[1] ?? 0), 10_000, 10);
    expect(isProcessAlive(pid)).toBe(true);
    expect(isProcessAlive(grandchild)).toBe(true);
    await killProcessGroup(pid, { graceMs: 1000 });
    expect(isProcessAlive(pid)).toBe(false);
    expect(isProcessAlive(grandchild)).toBe(false);
    await killProcessGroup(pid); // already gone: nothing to do, no error
  });

  it("count our own process as alive and refuse pids that address groups", () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(() => isProcessAlive(0)).toThrow(RangeError);
    expect(() => isProcessAlive(-1)).toThrow(RangeError);
  });
});

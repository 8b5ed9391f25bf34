// Benchmark: the openai agent's overhead. N subtasks through `codex-lead run` with W workers, each done by the
// built-in openai agent against a local fake model server answering every call after DELAY ms, 2 calls per subtask
// (write_file, then finish). Printed: wall time against the ideal (N × 2 × DELAY / W) as efficiency (goal ≥ 85 %),
// and, as the reference measured in the same run, the same plan done by shell subtasks that only wait 2 × DELAY.
// CPU per subtask is the machine's busy time while the run lasted (run it on an otherwise idle machine). Last, the
// agent alone: the same two calls run in this process one subtask after another with no model delay, so what the
// agent itself costs per subtask (wall and CPU, the fake server's included) is told apart from the pipeline's cost.
// Usage: npm run build && node bench/agent-overhead.js [subtasks=50] [workers=4] [delayMs=200]
import { spawn } from "node:child_process";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { startFakeOpenAI } from "../test/helpers/fake-openai-server.js";
import { runOpenAIAgent } from "../dist/agents/openai/index.js";
import path from "node:path";
import { fmt, git, leadBin, machineBusySeconds, tempRepo, writePlan } from "./_bench-util.js";

const count = Number(process.argv[2] ?? 50);
const workers = Number(process.argv[3] ?? 4);
const delayMs = Number(process.argv[4] ?? 200);
const CALLS_PER_SUBTASK = 2;

/** The model: a subtask's first call writes out/<id>.txt, the second (its transcript has a tool answer) finishes. */
function scriptedModel(request) {
  const messages = request.body.messages ?? [];
  const prompt = messages.find((m) => m.role === "user")?.content ?? "";
  const id = /# Subtask (\S+):/.exec(prompt)?.[1] ?? "unknown";
  if (messages.some((m) => m.role === "tool")) {
    return { toolCalls: [{ name: "finish", arguments: { summary: `wrote out/${id}.txt` } }], usage: { input_tokens: 900, output_tokens: 30 } };
  }
  return { toolCalls: [{ name: "write_file", arguments: { path: `out/${id}.txt`, content: `${id}\n` } }], usage: { input_tokens: 800, output_tokens: 40 } };
}

/** Runs `codex-lead run` in `dir` (asynchronously: the fake server lives in this process) and times it. */
function runLead(dir, env) {
  return new Promise((resolve, reject) => {
    const busyBefore = machineBusySeconds();
    const started = performance.now();
    const child = spawn(process.execPath, [leadBin, "run"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    child.once("error", reject);
    child.once("exit", (code) => {
      const seconds = (performance.now() - started) / 1000;
      const busyAfter = machineBusySeconds();
      if (code !== 0) reject(new Error(`codex-lead run exited ${code}: ${stderr}`));
      else resolve({ seconds, cpu: busyBefore === undefined ? NaN : busyAfter - busyBefore });
    });
  });
}

function landed(dir) {
  const tags = git(dir, ["tag", "-l", "codex/task/*"]).split("\n").filter(Boolean).length;
  const files = git(dir, ["ls-tree", "-r", "--name-only", "codex/integration"]).split("\n").filter((f) => f.startsWith("out/")).length;
  return { tags, files };
}

const config = { workers, heartbeat: "1s", stall_timeout: "60s" };

async function openaiRun() {
  const server = await startFakeOpenAI({ handler: scriptedModel, delayMs });
  try {
    const dir = tempRepo();
    const subtasks = Array.from({ length: count }, (_, i) => ({ id: `t${i}`, name: `write out/t${i}.txt`, agent: "bench" }));
    writePlan(dir, subtasks, { ...config, agents: { bench: { type: "openai", base_url: server.baseURL, api: "chat", model: "gpt-5.5" } } });
    const timing = await runLead(dir, { OPENAI_API_KEY: "bench" });
    return { ...timing, ...landed(dir), calls: server.requests.length };
  } finally {
    await server.close();
  }
}

async function shellRun() {
  const dir = tempRepo();
  const waitS = (CALLS_PER_SUBTASK * delayMs) / 1000;
  const subtasks = Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    name: `write out/t${i}.txt`,
    command: ["sh", "-c", `sleep ${waitS}; mkdir -p out; printf 't${i}\\n' > out/t${i}.txt`],
  }));
  writePlan(dir, subtasks, config);
  return { ...(await runLead(dir, {})), ...landed(dir) };
}

async function agentAlone() {
  const server = await startFakeOpenAI({ handler: scriptedModel });
  try {
    const dir = tempRepo();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const result = await runOpenAIAgent({
        profileName: "bench",
        profile: { type: "openai", base_url: server.baseURL, api: "chat" },
        task: { id: `t${i}`, name: `write out/t${i}.txt`, acceptance: [], files: [] },
        token: { task: `t${i}`, attempt: 1, worker: "bench" },
        root: dir,
        worktree: dir,
        history: { messages: [], attempts: [], conflicts: [] },
        budget: { limit: undefined, spentBefore: 0, creditsOf: () => 0 },
        env: { OPENAI_API_KEY: "bench" },
        notesFile: path.join(dir, ".codex", "notes"),
        logFile: path.join(dir, ".codex", "agent.log"),
        recordDir: path.join(dir, ".codex", "agents", `t${i}`),
        timeoutMs: 60_000,
        signal: new AbortController().signal,
        reportProgress: async () => undefined,
        log: () => undefined,
      });
      if (!result.ok) throw new Error(`agent alone: ${result.reason}`);
    }
    const cpu = process.cpuUsage(cpuBefore);
    return { wallMs: (performance.now() - started) / count, cpuMs: (cpu.user + cpu.system) / 1000 / count };
  } finally {
    await server.close();
  }
}

const ideal = (count * CALLS_PER_SUBTASK * delayMs) / 1000 / workers;
console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}, tmp ${os.tmpdir()}`);
console.log(`${count} subtasks, ${workers} workers, the model answering each call after ${delayMs} ms, ${CALLS_PER_SUBTASK} calls per subtask`);
const shell = await shellRun();
const ours = await openaiRun();
console.log(`  ideal (${count} × ${CALLS_PER_SUBTASK} × ${delayMs} ms / ${workers}) : ${fmt(ideal, 2)} s`);
console.log(`  shell subtasks waiting as long : ${fmt(shell.seconds, 2)} s  CPU ${fmt((shell.cpu / count) * 1000)} ms/subtask  efficiency ${fmt((100 * ideal) / shell.seconds)} %`);
console.log(`  openai agent, fake model       : ${fmt(ours.seconds, 2)} s  CPU ${fmt((ours.cpu / count) * 1000)} ms/subtask  efficiency ${fmt((100 * ideal) / ours.seconds)} % (goal >= 85 %)`);
console.log(`  openai agent / shell reference : ${fmt(shell.seconds / ours.seconds, 2)} of the reference's rate; ${ours.calls} model calls`);
const alone = await agentAlone();
console.log(`  the agent alone, no model delay : ${fmt(alone.wallMs)} ms wall, ${fmt(alone.cpuMs)} ms CPU per subtask (2 calls, 5 fsyncs; the fake server included)`);
for (const [name, run] of [["shell", shell], ["openai", ours]]) {
  if (run.tags !== count || run.files !== count) {
    console.log(`  ERROR (${name}): ${run.tags} tags and ${run.files} files for ${count} subtasks`);
    process.exitCode = 1;
  }
}

// `status --watch`: shows where things stand again and again, follows changes, ends on Ctrl-C with 130.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { leadBin, tempRepo, waitFor } from "./helpers/temp.js";
import { MINIMAL_PLAN } from "./helpers/plans.js";

describe("status --watch", () => {
  it("prints a JSON snapshot per interval, sees a change, and exits 130 on SIGINT", async () => {
    const repo = tempRepo();
    writeFileSync(path.join(repo, ".codex", "features.json"), JSON.stringify(MINIMAL_PLAN));
    const child = spawn(process.execPath, [leadBin, "status", "--watch", "200ms", "--json"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const lines = () => out.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { counts: Record<string, number> });
    try {
      await waitFor("a first snapshot", () => lines().length >= 1, 20_000);
      expect(lines()[0]?.counts).toEqual({ not_started: 2, in_progress: 0, blocked: 0, completed: 0, failed: 0 });
      writeFileSync(path.join(repo, ".codex", "progress.json"), JSON.stringify({ tasks: { "auth-model": { status: "blocked", reason: "needs a design" } } }));
      await waitFor("a snapshot with the blocked task", () => lines().some((s) => s.counts["blocked"] === 1), 20_000);
      child.kill("SIGINT");
      expect(await exited).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

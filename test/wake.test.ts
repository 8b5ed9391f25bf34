// The wake-up hints of the lead's and workers' loops: every replacement of progress.json is seen, however fast.
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Wake } from "../src/store/wake.js";
import { tempDir } from "./helpers/temp.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let wake: Wake | undefined;

afterEach(async () => {
  await wake?.close();
  wake = undefined;
});

/** Polls takeChanged until `file` shows up (true) or 300 ms pass (false). */
async function sees(w: Wake, file: string): Promise<boolean> {
  for (let waited = 0; waited < 300; waited += 2) {
    if (w.takeChanged().includes(file)) return true;
    await sleep(2);
  }
  return false;
}

describe("Wake", () => {
  it("sees every atomic replacement of progress.json, also in quick succession, and no other names", async () => {
    const dir = tempDir("codex-wake-");
    const progress = path.join(dir, "progress.json");
    writeFileSync(progress, "{}");
    wake = new Wake(dir);
    await sleep(100); // chokidar's initial scan
    let missed = 0;
    for (let i = 0; i < 20; i++) {
      writeFileSync(`${progress}.${i}`, String(i));
      renameSync(`${progress}.${i}`, progress);
      if (!(await sees(wake, progress))) missed++;
      await sleep(i % 2 === 0 ? 1 : 20);
    }
    expect(missed).toBe(0);
    writeFileSync(path.join(dir, "notes.json"), "{}");
    await sleep(100);
    expect(wake.takeChanged().filter((file) => file.endsWith("notes.json"))).toEqual([]);
  });

  it("sees a new or changed inbox file, and wait() returns early for it", async () => {
    const dir = tempDir("codex-wake-");
    wake = new Wake(dir);
    const waited = wake.wait(5000);
    const started = Date.now();
    writeFileSync(path.join(dir, "inbox", "auth-model.json"), "{}");
    await waited;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await sees(wake, path.join(dir, "inbox", "auth-model.json"))).toBe(true);
  });
});

// The folder watch that wakes the lead and workers when progress.json is replaced, however fast.
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { watchNames } from "../src/util/name-watch.js";
import { tempDir } from "./helpers/temp.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("watchNames", () => {
  it("sees every atomic replacement, also in quick succession, and ignores other names", async () => {
    const dir = tempDir("codex-watch-");
    writeFileSync(path.join(dir, "progress.json"), "{}");
    let seen = 0;
    const stop = watchNames(dir, ["progress.json"], () => seen++);
    try {
      let missed = 0;
      for (let i = 0; i < 20; i++) {
        const before = seen;
        writeFileSync(path.join(dir, `progress.json.${i}`), String(i));
        renameSync(path.join(dir, `progress.json.${i}`), path.join(dir, "progress.json"));
        for (let waited = 0; seen === before && waited < 200; waited += 2) await sleep(2);
        if (seen === before) missed++;
        await sleep(i % 2 === 0 ? 1 : 20);
      }
      expect(missed).toBe(0);
      const before = seen;
      writeFileSync(path.join(dir, "features.json"), "{}");
      await sleep(50);
      expect(seen).toBe(before);
    } finally {
      stop();
    }
  });
});

// The built-in cli profiles as documented, and how a profile's argv is filled in (whole elements, the 128 KiB limit).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_PRESETS, cliPreset, expandArgv, MAX_ARG_BYTES, promptPointer } from "../src/agents/cli/index.js";
import { repoRoot } from "./helpers/temp.js";

const values = { prompt: "do it", promptFile: "/r/.codex/p.txt", worktree: "/r/wt", codexDir: "/r/.codex" };

describe("cli presets", () => {
  it("docs/cli-agents.md shows each preset's exact argv", () => {
    const docs = readFileSync(path.join(repoRoot, "docs", "cli-agents.md"), "utf8");
    for (const [name, preset] of Object.entries(CLI_PRESETS)) {
      expect(docs).toContain(`${`${name}:`.padEnd(8)}${preset.command.join(" ")}\n`);
      expect(preset.output).toBe(name);
    }
  });

  it("cliPreset gives a copy; unknown names give undefined", () => {
    const copy = cliPreset("codex");
    copy?.command.push("--extra");
    expect(CLI_PRESETS.codex.command).not.toContain("--extra");
    expect(cliPreset("shell")).toBeUndefined();
    expect(cliPreset("toString")).toBeUndefined();
  });
});

describe("expandArgv", () => {
  it("replaces elements that are exactly a placeholder, nothing inside other elements", () => {
    const { argv, needsPromptFile, promptByFile } = expandArgv(
      ["x", "{prompt}", "--file={prompt_file}", "{worktree}", "{codex_dir}", "{prompt}x", "$(id)"],
      values,
    );
    expect(argv).toEqual(["x", "do it", "--file={prompt_file}", "/r/wt", "/r/.codex", "{prompt}x", "$(id)"]);
    expect({ needsPromptFile, promptByFile }).toEqual({ needsPromptFile: false, promptByFile: false });
    expect(expandArgv(["cat", "{prompt_file}"], values)).toEqual({ argv: ["cat", "/r/.codex/p.txt"], needsPromptFile: true, promptByFile: false });
  });

  it("sends a prompt by file once its UTF-8 bytes and NUL exceed MAX_ARG_STRLEN", () => {
    const fits = "é".repeat((MAX_ARG_BYTES - 2) / 2) + "a"; // 131071 bytes
    expect(expandArgv(["{prompt}"], { ...values, prompt: fits })).toEqual({ argv: [fits], needsPromptFile: false, promptByFile: false });
    const over = "é".repeat(MAX_ARG_BYTES / 2); // 131072 bytes, only 65536 characters
    expect(expandArgv(["{prompt}"], { ...values, prompt: over })).toEqual({
      argv: [promptPointer(values.promptFile)],
      needsPromptFile: true,
      promptByFile: true,
    });
  });
});

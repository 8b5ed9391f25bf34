// The openai agent's tools on a real worktree, called as the model calls them (name + JSON text).
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTool, type ToolContext } from "../src/agents/openai/tools/index.js";
import { tempDir } from "./helpers/temp.js";

function worktree(files: Record<string, string>): ToolContext {
  const root = realpathSync(tempDir("codex-tools-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return {
    root,
    worktree: root,
    env: {},
    logFile: path.join(root, "..", `${path.basename(root)}.log`),
    signal: new AbortController().signal,
    remainingMs: () => 60_000,
    onSpawn: undefined,
    resultSchema: undefined,
    reportProgress: async () => undefined,
  };
}

const call = async (ctx: ToolContext, name: string, args: unknown): Promise<string> => (await runTool(ctx, name, JSON.stringify(args))).output;

describe("apply_patch", () => {
  it("adds, updates (several hunks, at the end of the file), moves and deletes in one patch", async () => {
    const ctx = worktree({
      "src/a.js": "one\ntwo\nthree\nfour\nfive\n",
      "src/old.js": "keep\nchange me\n",
      "gone.txt": "bye\n",
    });
    const patch = [
      "*** Begin Patch",
      "*** Add File: docs/new.md",
      "+# New",
      "+text",
      "*** Update File: src/a.js",
      "@@",
      " one",
      "-two",
      "+TWO",
      "@@",
      " four",
      "-five",
      "+FIVE",
      "+six",
      "*** End of File",
      "*** Update File: src/old.js",
      "*** Move to: lib/new.js",
      "@@",
      " keep",
      "-change me",
      "+changed",
      "*** Delete File: gone.txt",
      "*** End Patch",
    ].join("\n");
    expect(await call(ctx, "apply_patch", { patch })).toBe(
      "patch applied: wrote docs/new.md, wrote src/a.js, deleted src/old.js, wrote lib/new.js, deleted gone.txt",
    );
    const read = (name: string): string => readFileSync(path.join(ctx.root, name), "utf8");
    expect(read("docs/new.md")).toBe("# New\ntext\n");
    expect(read("src/a.js")).toBe("one\nTWO\nthree\nfour\nFIVE\nsix\n");
    expect(read("lib/new.js")).toBe("keep\nchanged\n");
    expect(existsSync(path.join(ctx.root, "src/old.js"))).toBe(false);
    expect(existsSync(path.join(ctx.root, "gone.txt"))).toBe(false);
  });

  it("matches context that differs only in trailing spaces, and refuses to add a file that exists", async () => {
    const ctx = worktree({ "a.txt": "alpha  \nbeta\n" });
    const update = "*** Begin Patch\n*** Update File: a.txt\n@@\n alpha\n-beta\n+gamma\n*** End Patch";
    expect(await call(ctx, "apply_patch", { patch: update })).toBe("patch applied: wrote a.txt");
    expect(readFileSync(path.join(ctx.root, "a.txt"), "utf8")).toBe("alpha  \ngamma\n");
    const add = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch";
    expect(await call(ctx, "apply_patch", { patch: add })).toBe('error: "*** Add File: a.txt": the file exists; use "*** Update File:" to change it');
    expect(await call(ctx, "apply_patch", { patch: "*** Update File: a.txt" })).toMatch(/^error: the patch must start with "\*\*\* Begin Patch"/);
  });
});

describe("file tools", () => {
  it("reads a slice of lines and says where the rest is", async () => {
    const ctx = worktree({ "n.txt": Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n") + "\n" });
    expect(await call(ctx, "read_file", { path: "n.txt", offset: 3, limit: 2 })).toBe("[lines 3-4 of 10; read more with offset 5]\nline 3\nline 4");
    expect(await call(ctx, "read_file", { path: "missing.txt" })).toBe('error: "missing.txt" does not exist; use list_files to see what is there');
  });

  it("searches with a regular expression, answering file:line: text", async () => {
    const ctx = worktree({ "src/a.ts": "const x = 1;\nexport function foo() {}\n", "src/b.ts": "foo();\n", "node_modules/m/i.js": "foo\n" });
    expect(await call(ctx, "search", { pattern: "foo\\(" })).toBe("src/a.ts:2: export function foo() {}\nsrc/b.ts:1: foo();");
    expect(await call(ctx, "search", { pattern: "(" })).toMatch(/^error: pattern is not a valid JavaScript regular expression/);
  });

  it("writes a file with its folders, and answers bad arguments without failing", async () => {
    const ctx = worktree({});
    expect(await call(ctx, "write_file", { path: "deep/er/x.txt", content: "hi\n" })).toBe("wrote 3 bytes to deep/er/x.txt");
    expect(readFileSync(path.join(ctx.root, "deep/er/x.txt"), "utf8")).toBe("hi\n");
    expect((await runTool(ctx, "write_file", "{not json")).output).toMatch(/^error: the arguments of write_file are not valid JSON/);
    expect(await call(ctx, "nope", {})).toMatch(/^error: there is no tool "nope"; the tools are list_files, read_file/);
  });
});

describe("run_command", () => {
  it("keeps the environment's secrets out of what the model and the log get", async () => {
    const ctx = { ...worktree({}), env: { CREW_TEST_API_KEY: "sk-very-secret-value" } };
    const output = await call(ctx, "run_command", { command: 'echo "key is $CREW_TEST_API_KEY"' });
    expect(output).toBe("exit code 0\nkey is ***\n");
    const log = readFileSync(ctx.logFile, "utf8");
    expect(log).toContain("key is ***");
    expect(log).not.toContain("sk-very-secret-value");
  });
});


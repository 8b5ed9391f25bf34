// Types of fake-cli-models.js (a plain-JS ESM module so non-TypeScript scripts can start it too).
export declare const FAKE_USAGE: { input: number; cached: number; output: number; reasoning: number };

export interface FakeScript {
  /** Path of the file the scripted tool call writes, relative to the agent's working directory. */
  file: string;
  content: string;
  /** When set, the tool call runs this shell command instead (codex exec_command, claude Bash, gemini run_shell_command). */
  command?: string | undefined;
  /** The final message after the tool result. */
  final: string;
}

export interface FakeRequest {
  method: string | undefined;
  path: string;
  body: unknown;
  text: string;
}

export interface FakeCliModels {
  port: number;
  /** http://127.0.0.1:<port> (no trailing slash; codex needs `${url}/v1`). */
  url: string;
  /** Change at will between runs: `failStatus` set makes every model call answer that status. */
  state: { script: FakeScript; failStatus: number | undefined; failMessage: string; requests: FakeRequest[] };
  calls(kind: "codex" | "claude" | "gemini"): FakeRequest[];
  close(): Promise<void>;
}

export declare function startFakeCliModels(options?: { script?: Partial<FakeScript>; failStatus?: number; failMessage?: string }): Promise<FakeCliModels>;

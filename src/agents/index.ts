// Agents that do a subtask's work, all behind one contract (contract.ts); `shell` runs a command in its own process group.
export {
  runShellAgent,
  describeCommand,
  type ShellAgentOptions,
  type AgentOutcome,
  type AgentFailureReason,
} from "./shell.js";
export { killProcessGroup, killProcessesUnder, isProcessAlive, isProcessGroupAlive, type KillOptions } from "./process-group.js";
export * from "./contract.js";
export { runAgent } from "./run-agent.js";
export { runShellAgentAsAgent } from "./shell-agent.js";
export { resolveProfile, knownProfileNames, profileNameOf, BUILT_IN_PROFILES, type ResolvedProfile } from "./profiles.js";
export { buildTaskPrompt } from "./prompt.js";
export { runCliAgent, CLI_PRESETS, cliPreset, expandArgv, MAX_ARG_BYTES } from "./cli/index.js";
export {
  runOpenAIAgent,
  structuredCall,
  ModelCallError,
  usageOfRecord,
  type StructuredCallOptions,
  type StructuredCallResult,
} from "./openai/index.js";

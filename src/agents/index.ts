// Agents that do a subtask's work; `shell` runs a command in its own process group.
export {
  runShellAgent,
  describeCommand,
  type ShellAgentOptions,
  type AgentOutcome,
  type AgentFailureReason,
} from "./shell.js";
export { killProcessGroup, killProcessesUnder, isProcessAlive, isProcessGroupAlive, type KillOptions } from "./process-group.js";
export { buildTaskPrompt } from "./prompt.js";
export { runCliAgent, CLI_PRESETS, cliPreset, expandArgv, MAX_ARG_BYTES } from "./cli/index.js";

// The `cli` agent kind: agent CLIs driven through a profile's argv, and the built-in profiles.
export { runCliAgent, DEFAULT_KILL_GRACE_MS } from "./run-cli-agent.js";
export { CLI_PRESETS, cliPreset } from "./presets.js";
export { expandArgv, promptPointer, MAX_ARG_BYTES, PLACEHOLDERS, type ArgvValues, type ExpandedArgv } from "./argv.js";
export { parserFor, type OutputParser, type ParsedRun } from "./parsers/index.js";

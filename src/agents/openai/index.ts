// The built-in `openai` agent and the structured model call the planner and reviewer use.
export { structuredCall, type StructuredCallOptions, type StructuredCallResult } from "./structured.js";
export { connect, chooseApi, callModel, DEFAULT_MODEL, type Connection } from "./client.js";
export { ModelCallError, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export { schemaProblems } from "./schema-check.js";

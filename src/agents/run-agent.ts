// Runs the agent of an attempt by its profile's type. The worker calls this for every kind.
import { emptyUsage, type Agent, type AgentInput, type AgentResult } from "./contract.js";
import { runCliAgent } from "./cli/index.js";
import { runOpenAIAgent } from "./openai/index.js";
import { runShellAgentAsAgent } from "./shell-agent.js";

const AGENTS: Record<AgentInput["profile"]["type"], Agent> = {
  shell: runShellAgentAsAgent,
  cli: runCliAgent,
  openai: runOpenAIAgent,
};

/** The agent's result; a bug in an agent (a thrown error) becomes a failed attempt rather than a dead worker. */
export async function runAgent(input: AgentInput): Promise<AgentResult> {
  try {
    return await AGENTS[input.profile.type](input);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    input.log(`agent ${input.profileName} threw: ${error instanceof Error ? (error.stack ?? message) : message}`);
    return { ok: false, kind: "failed", reason: `agent ${input.profileName} failed unexpectedly: ${message}`, usage: emptyUsage() };
  }
}

// Runs the agent of an attempt by its profile's type. The worker calls this for every kind.
import { emptyUsage, type Agent, type AgentInput, type AgentResult } from "./contract.js";
import { runOpenAIAgent } from "./openai/index.js";
import { runShellAgentAsAgent } from "./shell-agent.js";

const AGENTS: Record<AgentInput["profile"]["type"], Agent | undefined> = {
  shell: runShellAgentAsAgent,
  cli: undefined,
  openai: runOpenAIAgent,
};

/** The agent's result; a bug in an agent (a thrown error) becomes a failed attempt rather than a dead worker. */
export async function runAgent(input: AgentInput): Promise<AgentResult> {
  const agent = AGENTS[input.profile.type];
  if (!agent) {
    return {
      ok: false,
      kind: "config",
      reason: `agent profile ${JSON.stringify(input.profileName)} has type "${input.profile.type}", which this version cannot run`,
      usage: emptyUsage(),
    };
  }
  try {
    return await agent(input);
  } catch (error: unknown) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    input.log(`agent ${input.profileName} threw: ${message}`);
    return { ok: false, kind: "failed", reason: `agent ${input.profileName} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`, usage: emptyUsage() };
  }
}

// Opening a repository for the checkpoint commands: the git root (or a clear error), the store, the integration branch.
import { CodexError, ExitCode } from "../errors.js";
import { gitRoot, revParse } from "../git/index.js";
import { CodexStore } from "../store/codex-store.js";

export interface CheckpointRepo {
  root: string;
  store: CodexStore;
  integrationBranch: string;
  /** `refs/heads/<integration branch>`. */
  integrationRef: string;
}

/** The repository that contains `dir`, or E_NOT_GIT; the integration branch comes from config.json. */
export async function openCheckpointRepo(dir: string, store?: CodexStore): Promise<CheckpointRepo> {
  const root = await gitRoot(dir).catch((error: unknown) => {
    throw new CodexError("E_NOT_GIT", `${dir} is not inside a git repository`, {
      hint: "Run the command in the repository codex-lead runs on (or pass -C <dir>).",
      exitCode: ExitCode.usage,
      cause: error,
    });
  });
  const opened = store ?? new CodexStore(root);
  const integrationBranch = (await opened.resolvedConfig()).integrationBranch;
  return { root, store: opened, integrationBranch, integrationRef: `refs/heads/${integrationBranch}` };
}

/** The integration branch's head, or E_NO_INTEGRATION when no run has created it yet. */
export async function integrationHead(repo: CheckpointRepo): Promise<string> {
  const head = await revParse(repo.root, `${repo.integrationRef}^{commit}`);
  if (head === null) {
    throw new CodexError("E_NO_INTEGRATION", `the integration branch ${repo.integrationBranch} does not exist`, {
      hint: "It is created by `codex-lead run`; there are no checkpoints before a first run.",
      exitCode: ExitCode.usage,
    });
  }
  return head;
}

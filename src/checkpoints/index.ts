// Checkpoints: list, show and diff them, roll subtasks back (with cascade), and clean up what codex-crew created.
export { openCheckpointRepo, integrationHead, type CheckpointRepo } from "./_repo.js";
export { listCheckpoints, checkpointOf, showCheckpoint, changesSince, type CheckpointRow } from "./list.js";
export { revertTree, type RevertOutcome } from "./revert.js";
export {
  rollbackTask,
  ROLLBACK_REASON,
  type RollbackOptions,
  type RollbackResult,
  type RevertStep,
  type StoppedAttempt,
} from "./rollback.js";
export { gc, renderGc, WORK_BRANCH_PREFIX, type GcAction, type GcItem, type GcOptions, type GcResult } from "./gc.js";
export { renderCheckpoints, renderRollback } from "./render.js";

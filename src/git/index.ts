// The git module: thin argv-only functions taking `cwd` first, all failing with GitError.
export { GitError, assertGitArg, type GitErrorDetails } from "./git-error.js";
export { runGit, type RunGitOptions, type GitResult } from "./run-git.js";
export {
  gitRoot,
  gitCommonDir,
  revParse,
  headOf,
  currentBranch,
  isAncestor,
  unmergedCommits,
  changedFiles,
  filesChangedSince,
  statusCount,
} from "./repo.js";
export {
  ensureBranch,
  updateRefCas,
  createTag,
  listTags,
  listBranches,
  deleteBranch,
  type DeleteBranchResult,
} from "./refs.js";
export {
  worktreeAdd,
  worktreeRemove,
  worktreePrune,
  worktreeList,
  type WorktreeInfo,
  type WorktreeAddResult,
} from "./worktree.js";
export {
  commitAll,
  commitTree,
  readTrailers,
  commitsWithTrailer,
  withTrailers,
  subjectLine,
  type Trailers,
  type Author,
  type CommitAllOptions,
  type CommitTreeOptions,
  type TrailerCommit,
} from "./commits.js";
export { mergeOnto, type MergeOutcome } from "./merge.js";
export { commonDirOf, resolveRef, worktreeGitDir, worktreeHead } from "./loose-ref.js";
export { OWNER_MARKER, whyNotOurs, type OwnershipContext } from "./worktree-owner.js";
export { applyRefTransaction, type RefChange } from "./ref-transaction.js";
export { ensureGitIdentity } from "./identity.js";

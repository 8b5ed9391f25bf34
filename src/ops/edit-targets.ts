// The files `codex-lead edit` opens, apart from the edit session itself so the command line can name them
// without loading it.
export const EDIT_TARGETS = ["progress", "features", "config"] as const;
export type EditTarget = (typeof EDIT_TARGETS)[number];

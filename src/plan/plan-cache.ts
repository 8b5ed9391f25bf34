// Remembers (in .codex/cache/) the hash of the last features.json text that passed every plan check, so a
// restarted lead need not re-check a large unchanged plan: the same bytes give the same verdict.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildPlan, type Plan } from "./plan.js";
import type { FeaturesFile } from "../schema/features.js";
import type { CodexStore } from "../store/codex-store.js";

function cacheFile(store: CodexStore): string {
  return path.join(store.paths.dir, "cache", "plan-checked.sha256");
}

/** Bump when the plan checks change, so text that passed older checks is checked again. */
const CHECKS_VERSION = "plan-checks-1";

function hashOf(text: string): string {
  return createHash("sha256").update(CHECKS_VERSION).update("\0").update(text).digest("hex");
}

/** Marks `text` as a plan that passed every check. */
export function rememberCheckedPlan(store: CodexStore, text: string): void {
  try {
    // Never through a link: refused (and the plan simply checked again next time).
    store.makeDir(path.dirname(cacheFile(store)));
    store.assertWritable(cacheFile(store));
    writeFileSync(cacheFile(store), hashOf(text));
  } catch {
    // Only a shortcut: without it the plan is checked again.
  }
}

/** Like planFromText (throws the same errors), without re-checking text that already passed. */
export async function checkedPlanFromText(
  store: CodexStore,
  text: string,
  planFromText: (store: CodexStore, text: string) => Promise<Plan>,
): Promise<Plan> {
  let known: string | undefined;
  try {
    // A cache reached through a link is not ours: it could vouch for a plan nobody checked.
    store.assertWritable(cacheFile(store), "trust");
    known = readFileSync(cacheFile(store), "utf8").trim();
  } catch {
    known = undefined;
  }
  if (known && known === hashOf(text)) return buildPlan(JSON.parse(text) as FeaturesFile);
  const plan = await planFromText(store, text);
  rememberCheckedPlan(store, text);
  return plan;
}

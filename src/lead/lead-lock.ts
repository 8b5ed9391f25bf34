// One lead per repository: a lock held for the whole run. A lock left by a lead that died on this host is
// taken over at once (its pid is gone), so a restart dispatches again without waiting for the stale time.
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { checkClaim } from "../util/process-identity.js";
import { CodexError, ExitCode, errnoCode } from "../errors.js";
import type { CodexStore } from "../store/codex-store.js";

export async function acquireLeadLock(store: CodexStore, onCompromised: (error: Error) => void): Promise<() => Promise<void>> {
  const target = path.join(store.paths.dir, "lead");
  const options = {
    lockfilePath: `${target}.lock`,
    realpath: false,
    stale: 10_000,
    update: 2_000,
    retries: 0,
    onCompromised,
  };
  for (let round = 0; round < 2; round++) {
    try {
      return await lockfile.lock(target, options);
    } catch (error: unknown) {
      if (errnoCode(error) !== "ELOCKED") throw error;
      const run = (await store.progress.read().catch(() => undefined))?.run;
      const pid = run?.lead_pid ?? undefined;
      const sameHost = !run?.host || run.host === os.hostname();
      // The pid is a claim: gone, or (its start time recorded) now another process's — then the lock is stale.
      const claim = pid ? checkClaim({ pid, start: run?.lead_start ?? undefined }) : "other";
      const dead = claim === "gone" || (claim === "other" && typeof run?.lead_start === "number");
      if (round === 0 && sameHost && pid && pid !== process.pid && dead) {
        await rm(`${target}.lock`, { recursive: true, force: true });
        continue;
      }
      throw new CodexError("E_LEAD_RUNNING", `another lead is running in this repository${pid ? ` (pid ${pid}${run?.host ? ` on ${run.host}` : ""})` : ""}`, {
        hint: "Watch it with `codex-lead status`, or stop it (Ctrl-C / kill) before starting another run.",
        exitCode: ExitCode.busy,
        cause: error,
      });
    }
  }
  throw new CodexError("E_LEAD_RUNNING", "could not take the lead lock", { exitCode: ExitCode.busy });
}

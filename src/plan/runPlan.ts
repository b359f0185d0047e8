import { inspectOutDir, planKey } from './outDir.js';
import { resolvePlanInputs, type PlanOptions } from './planConfig.js';
import type { PlanResult, PlanState } from './planResult.js';
import { createPlanSession } from './planSession.js';
import { analysePlan } from './analysePlan.js';
import { chooseFiles, verifyComplete, writeSet, type FreshStreams } from './writeSet.js';

export type { PlanHooks, PlanOptions } from './planConfig.js';
export type { ManifestRow, PlanResult } from './planResult.js';
export { manifestCsv } from './manifest.js';

/**
 * `lossyscale plan` (THEORY.md sections 1 and 6): from a folder of images (or Fashion-MNIST)
 * and a storage budget to the compressed training set. Phases: load and split the data;
 * measure the codec's size curve on a stratified sample; train a small pilot grid; fit the
 * law and bootstrap it; recommend n*, L*, d* at the budget (analysePlan.ts); encode the first
 * n* images of a stratified order at d*, keep the longest prefix that fits the budget together
 * with the manifest and plan.json, and write them (writeSet.ts; resumable; plan.json last).
 */
export async function runPlan(opts: PlanOptions): Promise<PlanResult> {
  const { inputs, snap } = resolvePlanInputs(opts);
  const log = opts.hooks?.log ?? (() => {});
  const key = planKey(inputs);
  const out = opts.outDir;
  const existing = inspectOutDir<PlanResult, PlanState>(out, key);
  if (existing.kind === 'complete' && !opts.dryRun) {
    const result = existing.plan;
    verifyComplete(out, log);
    return { ...result, status: 'complete' };
  }

  const session = createPlanSession(opts, inputs);
  const fresh: FreshStreams = new Map();
  try {
    let state: PlanState;
    let status: PlanResult['status'];
    if (existing.kind === 'in-progress' && !opts.dryRun) {
      state = existing.state;
      status = 'resumed';
      log(`resuming the write of ${state.files.length} images into ${out} (plan ${key})`);
    } else {
      const { result, pool, writeOrder } = await analysePlan(session, opts, inputs, key, snap);
      if (opts.dryRun) return result;
      state = await chooseFiles(session, inputs, result, pool, writeOrder, out, fresh);
      status = 'written';
    }
    const result = await writeSet(session, inputs, state, out, fresh);
    return { ...result, status };
  } finally {
    await session.close();
  }
}

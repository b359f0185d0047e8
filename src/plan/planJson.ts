import type { ManifestRow, PlanResult } from './planResult.js';

/** plan.json (THEORY.md section 6): the result with its provenance, without what is per invocation. */
export function planJson(result: PlanResult): string {
  return JSON.stringify(stripRuntime(result), null, 1) + '\n';
}

/** plan.json is the result without what is per invocation (status, dryRun). */
function stripRuntime(r: PlanResult): Omit<PlanResult, 'status' | 'dryRun'> {
  const { status: _s, dryRun: _d, ...rest } = r;
  return rest;
}

/** The result with its `written` totals; plan.json's own size is part of the total. */
export function finalResult(base: PlanResult, files: ManifestRow[], manifestBytes: number, verified: number, encoded: number): PlanResult {
  const perClass: Record<string, number> = {};
  let imageBytes = 0;
  for (const f of files) {
    perClass[f.class] = (perClass[f.class] ?? 0) + 1;
    imageBytes += f.bytes;
  }
  const written = { images: files.length, imageBytes, manifestBytes, planBytes: 0, totalBytes: 0, perClass, verified, encoded };
  const result: PlanResult = { ...base, written };
  // plan.json's own size is part of the total: fixed point over the digits of planBytes.
  for (let i = 0; i < 4; i++) {
    const bytes = Buffer.byteLength(planJson(result));
    if (bytes === written.planBytes) break;
    written.planBytes = bytes;
    written.totalBytes = imageBytes + manifestBytes + bytes;
  }
  return result;
}

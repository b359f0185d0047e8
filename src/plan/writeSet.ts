import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSet } from '../data/imageSet.js';
import { loadCodecFor } from '../codec/codecBackend.js';
import { InputError, ResourceError } from '../errors.js';
import { parseCsvTable } from '../io/csv.js';
import { formatBytes } from './size.js';
import { IMAGES_DIR, MANIFEST_FILE, PLAN_FILE, sha256, STATE_FILE, writeFileAtomic } from './outDir.js';
import { imageName, manifestCsv, MANIFEST_HEADER_BYTES, safeName } from './manifest.js';
import { finalResult, planJson } from './planJson.js';
import type { PlanInputs } from './planConfig.js';
import type { ManifestRow, PlannedFile, PlanResult, PlanState } from './planResult.js';
import type { PlanSession } from './planSession.js';

/** Streams encoded in this invocation, by pool index (written without re-encoding; a resumed write re-encodes). */
export type FreshStreams = Map<number, Uint8Array>;

type Codec = Awaited<ReturnType<typeof loadCodecFor>>;

function encodeOne(pool: ImageSet, codec: Codec, index: number, distance: number, inputs: PlanInputs): Uint8Array {
  const per = pool.width * pool.height * pool.channels;
  return codec.encode(pool.pixels.subarray(index * per, (index + 1) * per), pool.width, pool.height, pool.channels, { distance, effort: inputs.effort, backend: inputs.backend });
}

/** Longest prefix of the candidates whose images, manifest and plan.json together fit the budget. */
function fitFiles(candidates: PlannedFile[], budget: number, result: PlanResult): PlannedFile[] {
  const rowLen = candidates.map((c) => manifestCsv([c]).length - MANIFEST_HEADER_BYTES);
  const headerLen = MANIFEST_HEADER_BYTES;
  // plan.json size with this many files: measured on a draft (counts only change a few digits).
  const planBound = (files: ManifestRow[]): number => Buffer.byteLength(planJson(finalResult(result, files, 0, files.length, files.length))) + 256;
  let n = candidates.length;
  let total = headerLen;
  for (let k = 0; k < n; k++) total += candidates[k].bytes + rowLen[k];
  for (let guard = 0; guard < 8; guard++) {
    const bound = planBound(candidates.slice(0, n));
    while (n > 0 && total + bound > budget) {
      n--;
      total -= candidates[n].bytes + rowLen[n];
    }
    if (total + planBound(candidates.slice(0, n)) <= budget) break;
  }
  return candidates.slice(0, n);
}

/**
 * Encodes the first n* images of the write order at d* (THEORY.md section 6), keeps the longest
 * prefix that fits the budget with manifest.csv and plan.json, and records the choice in
 * `.plan-state.json` so an interrupted write resumes.
 */
export async function chooseFiles(session: PlanSession, inputs: PlanInputs, result: PlanResult, pool: ImageSet, writeOrder: number[], out: string, fresh: FreshStreams): Promise<PlanState> {
  const { log, phase } = session;
  const { n, distance } = result.recommendation;
  const C = pool.classNames.length;
  const order = writeOrder.slice(0, n);
  const codec = await loadCodecFor(inputs.backend);
  const bar = phase(`encode ${order.length} images at d=${distance.toPrecision(4)}`, order.length);
  const names = new Map<string, number>();
  const candidates: PlannedFile[] = [];
  fresh.clear();
  for (const idx of order) {
    let stream: Uint8Array;
    try {
      stream = encodeOne(pool, codec, idx, distance, inputs);
    } catch (e) {
      log(`skipped ${pool.ids?.[idx] ?? idx}: the codec failed (${(e as Error).message})`);
      bar.tick();
      continue;
    }
    const cls = safeName(pool.classNames[pool.labels[idx]]);
    let name = imageName(pool.ids?.[idx], idx);
    const k = `${cls}/${name}`;
    const seen = names.get(k) ?? 0;
    names.set(k, seen + 1);
    if (seen) name = `${name}-${seen}`;
    fresh.set(idx, stream);
    candidates.push({ index: idx, path: `${IMAGES_DIR}/${cls}/${name}.jxl`, class: pool.classNames[pool.labels[idx]], bytes: stream.length, distance, source: pool.ids?.[idx] ?? `train[${idx}]`, sha256: sha256(stream) });
    bar.tick();
  }
  bar.done();
  const files = fitFiles(candidates, inputs.budgetBytes, result);
  const perClass = new Set(files.map((f) => f.class));
  if (perClass.size < C) {
    throw new InputError('--budget', formatBytes(inputs.budgetBytes), `a budget that holds at least one image of each of the ${C} classes with manifest.csv and plan.json`, `only ${perClass.size} classes fit`);
  }
  const state: PlanState = { key: result.key, result, files };
  writeFileAtomic(join(out, STATE_FILE), JSON.stringify(state));
  return state;
}

/**
 * Writes (or verifies) every chosen image, then manifest.csv, then plan.json last (THEORY.md
 * section 6), and removes `.plan-state.json`. Images not encoded in this invocation are
 * re-encoded and must hash as recorded.
 */
export async function writeSet(session: PlanSession, inputs: PlanInputs, state: PlanState, out: string, fresh: FreshStreams): Promise<PlanResult> {
  const { phase, check } = session;
  const files = state.files;
  let verified = 0;
  let encoded = 0;
  const missing: PlannedFile[] = [];
  const vbar = phase('verify existing files', files.length);
  for (const f of files) {
    const p = join(out, f.path);
    if (existsSync(p) && statSync(p).size === f.bytes && sha256(readFileSync(p)) === f.sha256) verified++;
    else missing.push(f);
    vbar.tick();
  }
  vbar.done();
  if (missing.length) {
    const needEncode = missing.some((f) => !fresh.has(f.index));
    const pool = needEncode ? (await session.load()).train : undefined;
    const codec = needEncode ? await loadCodecFor(inputs.backend) : undefined;
    const wbar = phase(`write ${missing.length} images`, missing.length);
    for (const f of missing) {
      check();
      // non-null: pool and codec are loaded whenever a missing file has no fresh stream (needEncode).
      const stream = fresh.get(f.index) ?? encodeOne(pool!, codec!, f.index, f.distance, inputs);
      fresh.delete(f.index);
      if (sha256(stream) !== f.sha256) throw new ResourceError(`re-encoding ${f.source} gave different bytes than when the plan was made (codec or data changed); remove ${out} and plan again`);
      writeFileAtomic(join(out, f.path), stream);
      encoded++;
      wbar.tick();
    }
    wbar.done();
  }
  const manifest = manifestCsv(files);
  writeFileAtomic(join(out, MANIFEST_FILE), manifest);
  const result = finalResult(state.result, files, manifest.length, verified, encoded);
  const planText = planJson(result);
  // non-null: finalResult always sets written.
  if (result.written!.totalBytes > inputs.budgetBytes) throw new Error(`internal: written total ${result.written!.totalBytes} exceeds the budget ${inputs.budgetBytes}`);
  writeFileAtomic(join(out, PLAN_FILE), planText);
  rmSync(join(out, STATE_FILE), { force: true });
  return result;
}

/** A complete plan directory: every manifest row's file exists with its size and hash. */
export function verifyComplete(out: string, log: (line: string) => void): void {
  const plan = JSON.parse(readFileSync(join(out, PLAN_FILE), 'utf8')) as Partial<PlanResult>;
  const text = parseCsvTable(readFileSync(join(out, MANIFEST_FILE), 'utf8'), join(out, MANIFEST_FILE), { comments: false }).records.map((r) => r.cells);
  let bad = 0;
  for (const cells of text) {
    const path = cells[0];
    const hash = cells[cells.length - 1];
    const p = join(out, path);
    if (!existsSync(p) || sha256(readFileSync(p)) !== hash) bad++;
  }
  if (bad) throw new ResourceError(`${out} holds this plan but ${bad} of its files are missing or changed; remove ${join(out, PLAN_FILE)} to rewrite them`);
  log(`${out} already holds this plan (${plan.written?.images ?? text.length} images, every file verified)`);
}

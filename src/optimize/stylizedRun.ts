import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelParams } from '../model/params.js';
import { provenance } from '../provenance.js';
import { progress } from '../util/progress.js';
import { stylizedRiskGrid, stylizedStudy, type StylizedStudy } from './stylizedOptimum.js';
import { formatCsvObjects } from '../io/csv.js';

/**
 * Run the stylized-model storage study (THEORY.md sections 1-4) and write it as a run
 * directory: run.json (provenance), stylized-study.json (the full study, the fitted law
 * included), stylized-study.csv (one row per budget), rdet-grid.csv (the
 * excess risk the law was fitted to, columns n,L,error: input for `lossyscale fit`). `npm run figures` redraws the
 * stylized-optimum figure from these files without recomputing.
 */
export const STUDY_COLUMNS = ['storage', 'trueM', 'trueL', 'trueN', 'trueExcess', 'lawN', 'lawL', 'lawPredictedExcess', 'lawM', 'lawMN', 'lawMExcess', 'regret'] as const;

/** Compute the stylized storage study and write the run directory (THEORY.md sections 1-4). */
export function writeStylizedStudy(params: ModelParams, storages: number[], outDir: string, opts: { command?: string; quiet?: boolean } = {}): StylizedStudy {
  mkdirSync(outDir, { recursive: true });
  const config = { kind: 'stylized-storage-study', model: params, storages };
  const prov = provenance({ config, seed: null, command: opts.command });
  const bar = progress('stylized optimum', storages.length, { quiet: opts.quiet });
  const study = stylizedStudy(params, storages, { onProgress: () => bar.tick() });
  bar.done();
  writeFileSync(join(outDir, 'run.json'), JSON.stringify(prov, null, 2) + '\n');
  writeFileSync(join(outDir, 'stylized-study.json'), JSON.stringify({ provenance: prov, ...study }, null, 1) + '\n');
  writeFileSync(join(outDir, 'stylized-study.csv'), formatCsvObjects(STUDY_COLUMNS, study.rows));
  // The law's input: excess deterministic risk (optimal lambda) on the fit grid, as a fit CSV.
  const grid = stylizedRiskGrid(params, study.fitGrid.n, study.fitGrid.m);
  writeFileSync(join(outDir, 'rdet-grid.csv'), formatCsvObjects(['n', 'L', 'error', 'm', 'risk'], grid));
  return study;
}

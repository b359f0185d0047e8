import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseStylizedConfig, type StylizedConfig } from '../config/fig6Config.js';
import { ResourceError } from '../errors.js';
import { provenance, repoRoot, type Provenance } from '../provenance.js';
import { theoryCurves, type TheoryPoint } from '../theory/theoryCurves.js';
import { formatCsvObjects, parseCsvTable } from '../io/csv.js';

/**
 * The theory-curves run directory of a stylized config (THEORY.md section 5; layout in
 * docs/architecture.md): theory.csv (one row per (m, n), full double precision) and run.json
 * (provenance, kind "theory-curves"). `lossyscale theory` writes it; the theory figures and
 * the report read it.
 */

/**
 * Default output directory for a config's theory curves: `<config.out>-theory` (sims/results/fig6-theory),
 * a relative config.out taken from the repo root, an absolute one as it is (join put it under the repo).
 */
export function defaultTheoryDir(config: StylizedConfig): string {
  return resolve(repoRoot, `${config.out.replace(/\/+$/, '')}-theory`);
}

export interface TheoryRun {
  dir: string;
  csvPath: string;
  runJsonPath: string;
  points: TheoryPoint[];
  config: StylizedConfig;
  provenance: Provenance;
}

/** Compute the theory lines of a config and write theory.csv and run.json into outDir. */
export function writeTheoryRun(config: StylizedConfig, opts: { outDir?: string; command?: string } = {}): TheoryRun {
  const dir = opts.outDir ?? defaultTheoryDir(config);
  mkdirSync(dir, { recursive: true });
  const points = theoryCurves(config);
  const csvPath = join(dir, 'theory.csv');
  writeTheoryCsv(csvPath, points);
  const prov = provenance({ config, seed: null, command: opts.command });
  const runJsonPath = join(dir, 'run.json');
  writeFileSync(runJsonPath, JSON.stringify({ ...prov, kind: 'theory-curves', outputs: ['theory.csv'] }, null, 2) + '\n');
  return { dir, csvPath, runJsonPath, points, config, provenance: prov };
}

/** Read a theory run directory (theory.csv + run.json) without recomputing. */
export function readTheoryRun(dir: string): TheoryRun {
  const runJsonPath = join(dir, 'run.json');
  let run: Provenance;
  try {
    run = JSON.parse(readFileSync(runJsonPath, 'utf8')) as Provenance;
  } catch {
    throw new ResourceError(`cannot read ${runJsonPath} (run: lossyscale theory --config sims/fig6.json)`);
  }
  const csvPath = join(dir, 'theory.csv');
  return { dir, csvPath, runJsonPath, points: readTheoryCsv(csvPath), config: parseStylizedConfig(run.config), provenance: run };
}

export const THEORY_CSV_COLUMNS = ['n', 'm', 'L', 'lambda0', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess'] as const;
type TheoryCsvColumn = (typeof THEORY_CSV_COLUMNS)[number];

/** Write theory points as CSV (full double precision, shortest round-trip form). */
export function writeTheoryCsv(path: string, points: TheoryPoint[]): void {
  writeFileSync(path, formatCsvObjects(THEORY_CSV_COLUMNS, points));
}

/** Read a CSV written by writeTheoryCsv (through the one CSV reader, src/io/csv.ts). */
export function readTheoryCsv(path: string): TheoryPoint[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ResourceError(`cannot read theory curves ${path} (run: lossyscale theory --config sims/fig6.json)`);
  }
  const table = parseCsvTable(text, path);
  for (const c of THEORY_CSV_COLUMNS) {
    if (!table.header.includes(c)) throw new ResourceError(`${path}: missing column ${c} (expected ${THEORY_CSV_COLUMNS.join(',')})`);
  }
  return table.records.map(({ line, cells }) => {
    const value = (c: TheoryCsvColumn): number => {
      const raw = cells[table.header.indexOf(c)];
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) throw new ResourceError(`${path}: line ${line}, column ${c}: not a finite number (${JSON.stringify(raw)})`);
      return v;
    };
    return {
      n: value('n'), m: value('m'), L: value('L'), lambda0: value('lambda0'), lambda: value('lambda'), lambdaStar: value('lambdaStar'),
      bias: value('bias'), variance: value('variance'), compression: value('compression'), risk: value('risk'), excess: value('excess'),
    };
  });
}

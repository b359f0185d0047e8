import { InputError } from '../../errors.js';
import { parseNumber, parseNumberList } from '../../util/validate.js';
import { checkLength, LIMITS } from '../../util/limits.js';
import { toLaw, type LawLike } from '../../fit/lawForms.js';
import { sig, grouped } from '../../fit/tables.js';
import { compareAtStorage, type FixedLevel, type StorageComparison } from '../../optimize/compareAtStorage.js';
import { allocationTable } from '../../optimize/tables.js';
import { maybeHelp, parseFlags, str, type ParsedFlags, refuseStdioDirs } from '../args.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { OUTPUT_FLAGS, outputFormat, writeJsonLine, writeJsonLines } from './_output.js';
import { readTextInput, withoutBom } from '../../io/streams.js';

export const summary = COMMAND_SUMMARIES.optimize;

const usage = `
usage: lossyscale optimize --law LAW.json --storage S1,S2,...
                           [--original-bytes B] [--available N] [--min-bytes a --max-bytes b]
                           [--fixed NAME=BYTES,NAME=BYTES,...] [--continuous]
                           [--json | --format text|md|csv|json]
       lossyscale optimize --stylized [--p P --q Q --r R --tau T]
                           [--storage LIST | --storage-grid FROM,TO,COUNT] [--out DIR] [--json | --format csv]

Minimises the fitted law's error subject to n L <= S (THEORY.md sections 1 and 6).
  --law LAW.json       the JSON that 'lossyscale fit --json' prints (several tasks: one object
                       per line; an array is read too); "-" reads stdin
  --storage LIST       budgets in bytes, e.g. 4.848e7,9.696e7
  --original-bytes B   bytes per image in the original (lossless) format: adds the
                       'original format' row, n = min(floor(S/B), available), and caps L <= B
                       unless --max-bytes is given
  --available N        images available (n <= N)
  --min-bytes a        smallest achievable bytes per image (strongest compression)
  --max-bytes b        largest bytes per image
  --fixed LIST         naive fixed levels NAME=BYTES (e.g. d1=2400,d15=310): the largest subset
                       that fits at that size
  --continuous         do not round n to an integer
  --json               JSON lines, one object per (task, budget): task, storage, n, L, error,
                       storageUsed, activeConstraints, unconstrained (closed form), nu, CE,
                       notes, comparison rows
  --format             text (default), md or csv: the paper's Table-2 layout (S, n*, L*)

  --stylized           the stylized model's own optimum (THEORY.md sections 2-4): minimise the
                       deterministic risk with optimal lambda over integer m, n = floor(S/L(m));
                       compare with the optimum of an excess-form law fitted to R_det on the
                       Figure-6 grid; measure the storage exponent vs nu of Theorem 1.
                       Defaults p=2.01 q=2 r=0.99 tau=1, --storage-grid 1e3,1e10,29.
  --out DIR            (with --stylized) write run.json, stylized-study.json/.csv to DIR

examples:
  lossyscale fit --in errors.csv --json > law.json
  lossyscale optimize --law law.json --storage 4.848e7,9.696e7,2.9088e8 --original-bytes 42804 --json
  lossyscale optimize --law law.json --storage 1e6 --available 60000 --min-bytes 150 --max-bytes 900 --format md
`;

function readLaws(path: string): { task?: string; law: LawLike }[] {
  // A leading UTF-8 BOM (Windows editors) is dropped, as for configs.
  const text = withoutBom(readTextInput(path, '--law'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // JSON lines (what 'fit --json' prints for several tasks): one law object per line.
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    try {
      json = lines.length > 1 ? lines.map((l) => JSON.parse(l) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    if (json === undefined) throw new InputError(`--law ${path}`, 'not JSON', "the JSON printed by 'lossyscale fit --json' (one object, an array, or one object per line)", (e as Error).message);
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new InputError(`--law ${path}`, '[]', 'a law object or a non-empty array of them');
  return items.map((item, i) => {
    const where = Array.isArray(json) ? `--law ${path} [${i}]` : `--law ${path}`;
    toLaw(item as LawLike, where);
    const task = (item as { task?: unknown; input?: { task?: unknown } }).task ?? (item as { input?: { task?: unknown } }).input?.task;
    return { task: typeof task === 'string' ? task : undefined, law: item as LawLike };
  });
}

function storageList(values: Record<string, unknown>): number[] {
  const list = typeof values.storage === 'string' ? values.storage : undefined;
  const grid = typeof values['storage-grid'] === 'string' ? (values['storage-grid'] as string) : undefined;
  if (list !== undefined && grid !== undefined) throw new InputError('--storage-grid', grid, 'either --storage or --storage-grid, not both');
  if (list !== undefined) {
    const storages = parseNumberList('--storage', list);
    checkLength('--storage', storages.length, LIMITS.storagePoints);
    // The study measures its storage exponent as a slope over the budgets.
    if (storages.length < 3) throw new InputError('--storage', list, 'at least 3 budgets with --stylized');
    return storages;
  }
  const parts = parseNumberList('--storage-grid', grid ?? '1e3,1e10,29');
  const [from, to, count] = parts;
  if (parts.length !== 3 || !(from >= 1 && to > from && Number.isInteger(count) && count >= 3 && count <= LIMITS.storagePoints)) {
    throw new InputError('--storage-grid', grid, `FROM,TO,COUNT with 1 <= FROM < TO and an integer COUNT in 3..${LIMITS.storagePoints}`);
  }
  return Array.from({ length: count }, (_, i) => from * (to / from) ** (i / (count - 1)));
}

/** Largest budget of the stylized study: n = S/L(m) must stay within the risk's n <= 1e300. */
const MAX_STYLIZED_STORAGE = 1e300;

async function runStylized(values: Record<string, unknown>): Promise<number> {
  const { FIGURE6_MODEL, validateModel } = await import('../../model/params.js');
  const { stylizedStudy } = await import('../../optimize/stylizedOptimum.js');
  const { writeStylizedStudy, STUDY_COLUMNS } = await import('../../optimize/stylizedRun.js');
  const { formatCsvObjects } = await import('../../io/csv.js');
  const get = (k: string, d: number): number => (typeof values[k] === 'string' ? parseNumber(`--${k}`, values[k] as string) : d);
  const params = validateModel({ p: get('p', FIGURE6_MODEL.p), q: get('q', FIGURE6_MODEL.q), r: get('r', FIGURE6_MODEL.r), tau: get('tau', FIGURE6_MODEL.tau) });
  const storages = storageList(values);
  const tooLarge = storages.find((S) => !(S <= MAX_STYLIZED_STORAGE));
  if (tooLarge !== undefined) throw new InputError(values['storage-grid'] !== undefined ? '--storage-grid' : '--storage', tooLarge, 'budgets up to 1e300 bytes with --stylized');
  const out = typeof values.out === 'string' ? (values.out as string) : undefined;
  const format = outputFormat(values as ParsedFlags['values'], ['text', 'json', 'csv']);
  const study = out ? writeStylizedStudy(params, storages, out, { quiet: format !== 'text' || values.quiet === true }) : stylizedStudy(params, storages);
  if (format === 'csv') {
    process.stdout.write(formatCsvObjects(STUDY_COLUMNS, study.rows));
    return 0;
  }
  if (format === 'json') {
    writeJsonLine(study);
    return 0;
  }
  const e = study.exponents;
  console.log(`stylized model p=${params.p} q=${params.q} r=${params.r} tau=${params.tau}: optimum over integer m with optimal lambda (THEORY.md sections 2-4)`);
  console.log(
    formatTable(
      ['S', 'm*', 'L*', 'n*', 'excess*', 'law L*', 'law m', 'regret'],
      study.rows.map((r) => [sig(r.storage, 4), r.trueM, r.trueL, r.trueN, sig(r.trueExcess, 4), sig(r.lawL, 4), r.lawM, `${(100 * r.regret).toFixed(1)}%`]),
    ),
  );
  const f = study.law.params;
  console.log(`law fitted to R_det (${study.estimator}, excess form) on n in {${study.fitGrid.n.join(', ')}}, m in {${study.fitGrid.m.join(', ')}}: alpha = ${sig(f.alpha, 4)}, beta = ${sig(f.beta, 4)}, nu = ${sig(study.law.nu, 4)}`);
  console.log(`Theorem 1 (optimal lambda): alpha = ${sig(e.alphaOptimal, 4)}, beta = ${sig(e.beta, 4)}, nu = ${sig(e.nuOptimal, 4)} (regime: ${e.regime})`);
  console.log(`measured storage exponent (slope of ln excess* on ln S): ${sig(study.measuredNu.all, 4)} over the whole range, ${sig(study.measuredNu.upperHalf, 4)} over its upper half`);
  if (out) console.log(`wrote ${out}/run.json, stylized-study.json, stylized-study.csv, rdet-grid.csv`);
  return 0;
}

/** Flags of the fitted-law mode and of the --stylized mode (THEORY.md sections 1 and 6 vs 2-4). */
const LAW_ONLY_FLAGS = ['law', 'original-bytes', 'available', 'min-bytes', 'max-bytes', 'fixed', 'continuous'] as const;
const STYLIZED_ONLY_FLAGS = ['storage-grid', 'p', 'q', 'r', 'tau', 'out'] as const;

function parseFixed(text: string | undefined): FixedLevel[] {
  if (text === undefined) return [];
  const seen = new Set<string>();
  return text.split(',').map((part) => {
    const m = /^\s*([^=]+?)\s*=\s*(.+?)\s*$/.exec(part);
    if (!m) throw new InputError('--fixed', part, 'NAME=BYTES entries separated by commas, e.g. d1=2400,d15=310');
    const bytes = parseNumber(`--fixed ${m[1]}`, m[2]);
    if (!(bytes > 0)) throw new InputError(`--fixed ${m[1]}`, bytes, 'bytes > 0');
    if (seen.has(m[1])) throw new InputError('--fixed', text, 'each NAME once', `${m[1]} is given twice`);
    seen.add(m[1]);
    return { name: m[1], bytesPerImage: bytes };
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    law: { type: 'string' },
    storage: { type: 'string' },
    'original-bytes': { type: 'string' },
    available: { type: 'string' },
    'min-bytes': { type: 'string' },
    'max-bytes': { type: 'string' },
    fixed: { type: 'string' },
    continuous: { type: 'boolean' },
    ...OUTPUT_FLAGS,
    stylized: { type: 'boolean' },
    'storage-grid': { type: 'string' },
    p: { type: 'string' },
    q: { type: 'string' },
    r: { type: 'string' },
    tau: { type: 'string' },
    out: { type: 'string' },
  });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['out']);
  // Each mode's flags: one given to the other mode is refused rather than silently ignored.
  const stylized = values.stylized === true;
  const otherMode = (stylized ? LAW_ONLY_FLAGS : STYLIZED_ONLY_FLAGS).find((k) => values[k] !== undefined);
  if (otherMode !== undefined) throw new InputError(`--${otherMode}`, values[otherMode], stylized ? 'not with --stylized (it applies to --law)' : 'only with --stylized');
  if (stylized) return runStylized(values);
  const lawPath = str(values, 'law');
  if (!lawPath) throw new InputError('--law', undefined, "a law JSON file (the output of 'lossyscale fit --json')");
  const storages = parseNumberList('--storage', str(values, 'storage'));
  checkLength('--storage', storages.length, LIMITS.storagePoints);
  storages.forEach((s) => {
    if (!(s > 0)) throw new InputError('--storage', s, 'budgets in bytes > 0');
  });
  const optNum = (flag: string, check: (v: number) => boolean, valid: string): number | undefined => {
    const t = str(values, flag);
    if (t === undefined) return undefined;
    const v = parseNumber(`--${flag}`, t);
    if (!check(v)) throw new InputError(`--${flag}`, v, valid);
    return v;
  };
  const originalBytes = optNum('original-bytes', (v) => v > 0, 'bytes per image > 0');
  const nAvailable = optNum('available', (v) => Number.isInteger(v) && v >= 1, 'a whole number of images >= 1');
  const minBytes = optNum('min-bytes', (v) => v >= 0, 'bytes >= 0');
  const maxBytes = optNum('max-bytes', (v) => v > 0 && (minBytes === undefined || v >= minBytes), `bytes > 0 and >= --min-bytes${minBytes !== undefined ? ` (${minBytes})` : ''}`);
  const fixedLevels = parseFixed(str(values, 'fixed'));
  const format = outputFormat(values, ['text', 'md', 'csv', 'json']);
  const laws = readLaws(lawPath);

  const results: { task?: string; comparison: StorageComparison }[] = [];
  for (const { task, law } of laws) {
    for (const S of storages) {
      const c = compareAtStorage(law, S, { originalBytes, fixedLevels, nAvailable, minBytes, maxBytes, integerN: values.continuous !== true });
      results.push({ task, comparison: c });
    }
  }

  if (format === 'json') {
    const objs = results.map(({ task, comparison: c }) => ({
      task: task ?? null,
      storage: c.storage,
      n: c.optimum.n,
      L: c.optimum.L,
      error: c.optimum.error,
      storageUsed: c.optimum.storageUsed,
      activeConstraints: c.optimum.activeConstraints,
      unconstrained: c.optimum.unconstrained,
      nu: c.optimum.nu,
      CE: c.optimum.CE,
      notes: c.optimum.notes,
      comparison: c.rows,
    }));
    writeJsonLines(objs);
    return 0;
  }
  if (format === 'md' || format === 'csv') {
    process.stdout.write(allocationTable(laws.length > 1 ? results : results.map((r) => ({ comparison: r.comparison })), format));
    return 0;
  }
  for (const { task, comparison: c } of results) {
    const o = c.optimum;
    console.log(`${task ? task + ': ' : ''}storage S = ${grouped(c.storage)} bytes -> n* = ${grouped(o.n)}, L* = ${sig(o.L, 6)} bytes, predicted error ${sig(o.error, 5)}${o.activeConstraints.length ? ` (active: ${o.activeConstraints.join(', ')})` : ''}`);
    if (o.unconstrained && o.activeConstraints.some((a) => a !== 'integerN')) console.log(`  unconstrained optimum: n = ${sig(o.unconstrained.n, 6)}, L = ${sig(o.unconstrained.L, 6)}, error ${sig(o.unconstrained.error, 5)}`);
    for (const note of o.notes) console.log(`  note: ${note}`);
    console.log(
      formatTable(
        ['strategy', 'n', 'L (bytes)', 'storage used', 'predicted error', 'vs optimal', 'extrapolated'],
        c.rows.map((r) => [r.name, grouped(r.n), sig(r.L, 6), grouped(r.storageUsed), r.error === null ? 'no whole image fits' : sig(r.error, 5), r.excessOverOptimal === null ? 'n/a' : `+${sig(r.excessOverOptimal, 3)}`, r.extrapolated ? 'yes' : 'no']),
      ),
    );
    console.log('');
  }
  const nu = results[0]?.comparison.optimum.nu ?? null;
  if (nu !== null) console.log(`storage exponent nu = alpha beta/(alpha+beta) = ${sig(nu, 4)}: Err*(S) = E* + C_E S^-nu`);
  return 0;
}

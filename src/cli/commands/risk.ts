import { InputError } from '../../errors.js';
import { CsvStreamParser, csvHeader, formatCsv } from '../../io/csv.js';
import { BufferedOutput, inputChunks } from '../../io/streams.js';
import { RiskGridEvaluator, RISK_GRID_COLUMNS, type RiskGridCells } from '../../theory/riskGrid.js';
import { FIGURE6_MODEL, validateModel, type ModelParams } from '../../model/params.js';
import { parseNumber } from '../../util/validate.js';
import { deterministicRisk, type RiskParts } from '../../theory/deterministicRisk.js';
import { validateRiskInput } from '../../theory/fixedPoint.js';
import { optimalRisk } from '../../theory/optimalLambda.js';
import { maybeHelp, parseFlags, str } from '../args.js';
import { formatTable } from './_table.js';
import { OUTPUT_FLAGS, outputFormat, pick, writeJsonLine } from './_output.js';
import { COMMAND_SUMMARIES } from '../registry.js';

export const summary = COMMAND_SUMMARIES.risk;

const usage = `
usage: lossyscale risk [--p P --q Q --r R --tau TAU] --n N --m M --lambda LAMBDA|opt [--json | --format text|json|csv]
       lossyscale risk --grid FILE.csv|- [--json | --format text|json|csv] [--skip-invalid] [--quiet]

Deterministic risk of ridge regression in the stylized model (THEORY.md section 3):
R_det = tau^2 + K_m + B + (tau^2 + K_m) V, with lambda_* the root of the fixed point.

  --p, --q, --r, --tau   model (defaults: the paper's Figure 6, p=2.01 q=2 r=0.99 tau=1)
  --n                    training samples, n >= 1
  --m                    kept levels, integer >= 1 (L = (q^m - 1)/(q - 1))
  --lambda               ridge penalty >= 0 (0 = ridgeless), or "opt" to minimise over lambda
  --grid FILE.csv        evaluate every row of a CSV with header p,q,r,tau,n,m,lambda (any column
                         order; lambda may be "opt"; "-" reads stdin). Streams: each row is read,
                         validated, evaluated and written in input order with bounded memory.
                         A bad row stops the run with one error line naming its row number.
  --skip-invalid         skip bad grid rows instead; their count goes to stderr
  --json                 one compact JSON object per line (= --format json)
  --format csv           a CSV with the fields below as header
  --quiet                no notes on stderr
Fields: p q r tau n m L lambda lambdaStar bias variance compression risk excess varianceFactor dof
(variance = (tau^2 + K_m) V, compression = K_m, excess = risk - tau^2).
`;


interface RiskRequest {
  params: ModelParams;
  n: number;
  m: number;
  lambda: number | 'opt';
}

type RiskRow = { p: number; q: number; r: number; tau: number } & RiskParts;

/** The output fields, in order: the JSON keys of every line and the CSV header. */
export const RISK_FIELDS = ['p', 'q', 'r', 'tau', 'n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess', 'varianceFactor', 'dof'] as const;

/** Evaluate one validated request (THEORY.md section 3). */
function evaluate(req: RiskRequest): RiskRow {
  const parts = req.lambda === 'opt' ? optimalRisk(req.params, req.n, req.m) : deterministicRisk(req.params, { n: req.n, m: req.m, lambda: req.lambda });
  const { p, q, r, tau } = req.params;
  return { p, q, r, tau, ...parts };
}

function parseLambda(param: string, text: string | undefined): number | 'opt' {
  if (text !== undefined && text.trim() === 'opt') return 'opt';
  const v = parseNumber(param, text);
  if (!(v >= 0)) throw new InputError(param, text, 'lambda >= 0, or "opt"');
  return v;
}

/** Validate a request completely (model, n, m, lambda) so bad input fails before any output. */
function validateRequest(req: RiskRequest): RiskRequest {
  const v = validateRiskInput(req.params, req.n, req.m, req.lambda === 'opt' ? 1 : req.lambda);
  return { params: v.params, n: v.n, m: v.m, lambda: req.lambda === 'opt' ? 'opt' : v.lambda };
}

const TABLE_FIELDS: (keyof RiskRow)[] = ['n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess'];

/** A JSON number (finite doubles only; anything else would not be JSON). */
function jnum(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

type GridFormat = 'json' | 'csv' | 'text';

/**
 * Stream a grid CSV through the evaluator: rows are read, validated, evaluated and written one
 * by one (memory bounded by the read chunk), in input order. A bad row stops the run with one
 * InputError naming its data-row number and line, or with `skipInvalid` is counted and skipped.
 */
async function streamGrid(file: string, format: GridFormat, skipInvalid: boolean, quiet: boolean): Promise<number> {
  const source = file === '-' ? 'stdin' : file;
  const out = new BufferedOutput();
  const ev = new RiskGridEvaluator();
  const textRows: RiskRow[] = [];
  let header: number[] | null = null;
  let dataRows = 0;
  let written = 0;
  let skipped = 0;
  let firstSkip = '';
  let lastParams: object | null = null;
  let prefix = '';
  let mCache = new Map<number, string>();
  const cells: RiskGridCells = { p: '', q: '', r: '', tau: '', n: '', m: '', lambda: '' };
  const onRow = (row: string[], line: number): void => {
    if (header === null) {
      header = parseGridHeader(source, row, line);
      if (format === 'csv') out.write(csvHeader(RISK_FIELDS) + '\n');
      return;
    }
    dataRows++;
    const h = header;
    if (row.length !== h.length) {
      const e = new InputError(`${source} row ${dataRows} (line ${line})`, row.join(','), `${h.length} comma-separated values (${RISK_GRID_COLUMNS.join(',')})`, `found ${row.length}`);
      if (!skipInvalid) throw e;
      skipped++;
      firstSkip ||= e.message;
      return;
    }
    cells.p = row[h[0]];
    cells.q = row[h[1]];
    cells.r = row[h[2]];
    cells.tau = row[h[3]];
    cells.n = row[h[4]];
    cells.m = row[h[5]];
    cells.lambda = row[h[6]];
    let res: RiskParts;
    try {
      res = ev.evaluate(cells);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const err = new InputError(`${source} row ${dataRows} (line ${line}) column ${e.param}`, e.value, e.valid, e.message.includes('; ') ? e.message.split('; ').slice(1).join('; ') : undefined);
      if (!skipInvalid) throw err;
      skipped++;
      firstSkip ||= err.message;
      return;
    }
    const P = ev.params;
    if (P !== lastParams) {
      lastParams = P;
      prefix = format === 'json' ? `{"p":${jnum(P.p)},"q":${jnum(P.q)},"r":${jnum(P.r)},"tau":${jnum(P.tau)},"n":` : `${jnum(P.p)},${jnum(P.q)},${jnum(P.r)},${jnum(P.tau)},`;
      mCache = new Map();
    }
    let mText = mCache.get(res.m);
    if (mText === undefined) {
      mText = format === 'json' ? `,"m":${res.m},"L":${jnum(res.L)},"lambda":` : `,${res.m},${jnum(res.L)},`;
      mCache.set(res.m, mText);
    }
    written++;
    if (format === 'json') {
      out.write(
        `${prefix}${jnum(res.n)}${mText}${jnum(res.lambda)},"lambdaStar":${jnum(res.lambdaStar)},"bias":${jnum(res.bias)},"variance":${jnum(res.variance)},"compression":${jnum(res.compression)},"risk":${jnum(res.risk)},"excess":${jnum(res.excess)},"varianceFactor":${jnum(res.varianceFactor)},"dof":${jnum(res.dof)}}\n`,
      );
    } else if (format === 'csv') {
      out.write(`${prefix}${jnum(res.n)}${mText}${jnum(res.lambda)},${jnum(res.lambdaStar)},${jnum(res.bias)},${jnum(res.variance)},${jnum(res.compression)},${jnum(res.risk)},${jnum(res.excess)},${jnum(res.varianceFactor)},${jnum(res.dof)}\n`);
    } else textRows.push({ p: P.p, q: P.q, r: P.r, tau: P.tau, ...res });
  };
  const parser = new CsvStreamParser();
  try {
    for await (const chunk of inputChunks(file, '--grid')) {
      parser.push(chunk, onRow);
      await out.flushIfFull();
    }
    parser.end(onRow);
  } finally {
    // The rows before a bad one are complete results: write them before the error line.
    await out.end();
  }
  if (header === null) throw new InputError('--grid', file, `a CSV with header ${RISK_GRID_COLUMNS.join(',')}`, 'the file is empty');
  if (format === 'text') {
    if (textRows.length) out.write(formatTable(['p', 'q', 'r', 'tau', ...TABLE_FIELDS], textRows.map((r) => [r.p, r.q, r.r, r.tau, ...TABLE_FIELDS.map((f) => r[f] as number)])) + '\n');
  }
  await out.end();
  if (skipped > 0 && !quiet) process.stderr.write(`lossyscale: risk --grid skipped ${skipped} invalid row(s) of ${dataRows} (first: ${firstSkip})\n`);
  if (written === 0 && dataRows === 0) throw new InputError('--grid', file, 'a CSV with at least one data row', 'no data rows');
  return 0;
}

/** Column positions of p,q,r,tau,n,m,lambda in a grid header; errors name the bad column. */
function parseGridHeader(source: string, row: string[], line: number): number[] {
  const header = row.map((h) => h.trim());
  for (const h of header) {
    if (!(RISK_GRID_COLUMNS as readonly string[]).includes(h)) throw new InputError(`${source} header column ${JSON.stringify(h)}`, h, `columns ${RISK_GRID_COLUMNS.join(',')}`);
  }
  if (new Set(header).size !== header.length) throw new InputError(`${source} header`, header.join(','), 'each column once');
  for (const c of RISK_GRID_COLUMNS) {
    if (!header.includes(c)) throw new InputError(`${source} header (line ${line})`, header.join(','), `columns ${RISK_GRID_COLUMNS.join(',')}`, `missing column ${c}`);
  }
  return RISK_GRID_COLUMNS.map((c) => header.indexOf(c));
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    p: { type: 'string' },
    q: { type: 'string' },
    r: { type: 'string' },
    tau: { type: 'string' },
    n: { type: 'string' },
    m: { type: 'string' },
    lambda: { type: 'string' },
    grid: { type: 'string' },
    'skip-invalid': { type: 'boolean' },
    ...OUTPUT_FLAGS,
  });
  if (maybeHelp(values, usage)) return 0;
  const format = outputFormat(values, ['text', 'json', 'csv']);
  const grid = str(values, 'grid');
  if (grid !== undefined) {
    const extra = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda'].filter((k) => values[k] !== undefined);
    if (extra.length) throw new InputError(`--${extra[0]}`, values[extra[0]], 'not allowed with --grid (the CSV gives every parameter per row)');
    return streamGrid(grid, format, values['skip-invalid'] === true, values.quiet === true);
  }
  if (values['skip-invalid'] !== undefined) throw new InputError('--skip-invalid', true, 'only with --grid');
  const numOr = (k: 'p' | 'q' | 'r' | 'tau'): number => (str(values, k) === undefined ? FIGURE6_MODEL[k] : parseNumber(`--${k}`, str(values, k)));
  const params = validateModel({ p: numOr('p'), q: numOr('q'), r: numOr('r'), tau: numOr('tau') });
  for (const k of ['n', 'm', 'lambda']) {
    if (str(values, k) === undefined) throw new InputError(k, undefined, k === 'lambda' ? 'lambda >= 0 or "opt"' : k === 'n' ? 'n >= 1' : 'an integer m >= 1', 'required (or use --grid FILE.csv)');
  }
  const request = validateRequest({ params, n: parseNumber('--n', str(values, 'n')), m: parseNumber('--m', str(values, 'm')), lambda: parseLambda('--lambda', str(values, 'lambda')) });
  const r = evaluate(request);
  if (format === 'json') {
    writeJsonLine(pick(r, RISK_FIELDS));
    return 0;
  }
  if (format === 'csv') {
    process.stdout.write(formatCsv(RISK_FIELDS, [RISK_FIELDS.map((f) => r[f])]));
    return 0;
  }
  const notes: Record<string, string> = {
    L: 'bits per sample (q^m - 1)/(q - 1)',
    lambda: request.lambda === 'opt' ? 'ridge penalty (minimises R_det)' : 'ridge penalty',
    lambdaStar: 'effective regularisation (fixed point)',
    bias: 'B',
    variance: '(tau^2 + K_m) V',
    compression: 'K_m',
    risk: 'R_det = tau^2 + K_m + B + (tau^2 + K_m) V',
    excess: 'R_det - tau^2',
    varianceFactor: 'V = D / (n - D)',
    dof: 'D',
  };
  console.log(formatTable(['quantity', 'value', 'meaning'], RISK_FIELDS.map((k) => [k, r[k], notes[k] ?? ''])));
  return 0;
}

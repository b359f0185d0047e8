import { readFileSync } from 'node:fs';
import { InputError, ResourceError } from '../../errors.js';
import { validateModel, type ModelParams } from '../../model/params.js';
import { parseNumber } from '../../util/validate.js';
import { deterministicRisk, type RiskParts } from '../../theory/deterministicRisk.js';
import { validateRiskInput } from '../../theory/fixedPoint.js';
import { optimalRisk } from '../../theory/optimalLambda.js';
import { maybeHelp, parseFlags, str } from '../args.js';
import { formatTable } from './_table.js';

export const summary = 'deterministic risk R_det (Lemma 1) and its parts at (n, m, lambda), or for every row of a CSV';

const usage = `
usage: lossyscale risk [--p P --q Q --r R --tau TAU] --n N --m M --lambda LAMBDA|opt [--json]
       lossyscale risk --grid FILE.csv [--json]

Deterministic risk of ridge regression in the stylized model (THEORY.md section 3):
R_det = tau^2 + K_m + B + (tau^2 + K_m) V, with lambda_* the root of the fixed point.

  --p, --q, --r, --tau   model (defaults: the paper's Figure 6, p=2.01 q=2 r=0.99 tau=1)
  --n                    training samples, n >= 1
  --m                    kept levels, integer >= 1 (L = (q^m - 1)/(q - 1))
  --lambda               ridge penalty >= 0 (0 = ridgeless), or "opt" to minimise over lambda
  --grid FILE.csv        evaluate every row of a CSV with header p,q,r,tau,n,m,lambda (any column
                         order; lambda may be "opt"); one JSON object per line, in input order
  --json                 machine-readable output
Fields: p q r tau n m L lambda lambdaStar bias variance compression risk excess varianceFactor dof
(variance = (tau^2 + K_m) V, compression = K_m, excess = risk - tau^2).
`;

const DEFAULT_MODEL = { p: 2.01, q: 2, r: 0.99, tau: 1 };
const GRID_COLUMNS = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda'] as const;
type GridColumn = (typeof GRID_COLUMNS)[number];

interface RiskRequest {
  params: ModelParams;
  n: number;
  m: number;
  lambda: number | 'opt';
}

type RiskRow = { p: number; q: number; r: number; tau: number } & RiskParts;

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

/** Parse a grid CSV: header naming p,q,r,tau,n,m,lambda; errors name the line and column. */
export function parseRiskGrid(file: string, text: string): RiskRequest[] {
  const lines = text.split(/\r?\n/);
  let headerLine = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (headerLine < 0) throw new InputError('grid', file, `a CSV with header ${GRID_COLUMNS.join(',')}`, 'the file is empty');
  const header = lines[headerLine].split(',').map((h) => h.trim());
  for (const h of header) {
    if (!(GRID_COLUMNS as readonly string[]).includes(h)) throw new InputError(`${file} header column ${JSON.stringify(h)}`, h, `columns ${GRID_COLUMNS.join(',')}`);
  }
  for (const c of GRID_COLUMNS) {
    if (!header.includes(c)) throw new InputError(`${file} header`, lines[headerLine], `columns ${GRID_COLUMNS.join(',')}`, `missing column ${c}`);
  }
  if (new Set(header).size !== header.length) throw new InputError(`${file} header`, lines[headerLine], 'each column once');
  const out: RiskRequest[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const where = `${file} line ${i + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw new InputError(`${where}`, line, `${header.length} comma-separated values (${header.join(',')})`, `found ${cells.length}`);
    const cell = (c: GridColumn): string => cells[header.indexOf(c)];
    const num = (c: GridColumn): number => parseNumber(`${where} column ${c}`, cell(c));
    const req: RiskRequest = {
      params: { p: num('p'), q: num('q'), r: num('r'), tau: num('tau') },
      n: num('n'),
      m: num('m'),
      lambda: parseLambda(`${where} column lambda`, cell('lambda')),
    };
    try {
      out.push(validateRequest(req));
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${where} column ${e.param}`, e.value, e.valid, e.message.includes('; ') ? e.message.split('; ').slice(1).join('; ') : undefined);
      throw e;
    }
  }
  if (out.length === 0) throw new InputError('grid', file, 'a CSV with at least one data row', 'no data rows');
  return out;
}

const TABLE_FIELDS: (keyof RiskRow)[] = ['n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess'];

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
    json: { type: 'boolean' },
  });
  if (maybeHelp(values, usage)) return 0;
  const json = values.json === true;
  const grid = str(values, 'grid');
  let requests: RiskRequest[];
  if (grid !== undefined) {
    const extra = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda'].filter((k) => values[k] !== undefined);
    if (extra.length) throw new InputError(`--${extra[0]}`, values[extra[0]], 'not allowed with --grid (the CSV gives every parameter per row)');
    let text: string;
    try {
      text = readFileSync(grid, 'utf8');
    } catch {
      throw new ResourceError(`cannot read --grid file ${grid}`);
    }
    requests = parseRiskGrid(grid, text);
  } else {
    const numOr = (k: 'p' | 'q' | 'r' | 'tau'): number => (str(values, k) === undefined ? DEFAULT_MODEL[k] : parseNumber(k, str(values, k)));
    const params = validateModel({ p: numOr('p'), q: numOr('q'), r: numOr('r'), tau: numOr('tau') });
    for (const k of ['n', 'm', 'lambda']) {
      if (str(values, k) === undefined) throw new InputError(k, undefined, k === 'lambda' ? 'lambda >= 0 or "opt"' : k === 'n' ? 'n >= 1' : 'an integer m >= 1', 'required (or use --grid FILE.csv)');
    }
    requests = [validateRequest({ params, n: parseNumber('n', str(values, 'n')), m: parseNumber('m', str(values, 'm')), lambda: parseLambda('lambda', str(values, 'lambda')) })];
  }
  const rows = requests.map(evaluate);
  if (json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  } else if (grid === undefined) {
    const r = rows[0];
    const notes: Record<string, string> = {
      L: 'bits per sample (q^m - 1)/(q - 1)',
      lambda: requests[0].lambda === 'opt' ? 'ridge penalty (minimises R_det)' : 'ridge penalty',
      lambdaStar: 'effective regularisation (fixed point)',
      bias: 'B',
      variance: '(tau^2 + K_m) V',
      compression: 'K_m',
      risk: 'R_det = tau^2 + K_m + B + (tau^2 + K_m) V',
      excess: 'R_det - tau^2',
      varianceFactor: 'V = D / (n - D)',
      dof: 'D',
    };
    const keys = ['p', 'q', 'r', 'tau', 'n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess', 'varianceFactor', 'dof'] as (keyof RiskRow)[];
    console.log(formatTable(['quantity', 'value', 'meaning'], keys.map((k) => [k, r[k] as number, notes[k] ?? ''])));
  } else {
    console.log(formatTable(['p', 'q', 'r', 'tau', ...TABLE_FIELDS], rows.map((r) => [r.p, r.q, r.r, r.tau, ...TABLE_FIELDS.map((f) => r[f] as number)])));
  }
  return 0;
}

import { InputError } from '../../errors.js';
import { formatCsv } from '../../io/csv.js';
import { RISK_FIELDS, streamGrid, type RiskRow } from './_riskGrid.js';
import { FIGURE6_MODEL, validateModel, type ModelParams } from '../../model/params.js';
import { DECIMAL_NUMBER, parseNumber } from '../../util/validate.js';
import { deterministicRisk } from '../../theory/deterministicRisk.js';
import { validateRiskInput } from '../../theory/fixedPoint.js';
import { optimalRisk } from '../../theory/optimalLambda.js';
import { maybeHelp, parseFlags, str } from '../args.js';
import { formatTable } from './_table.js';
import { OUTPUT_FLAGS, outputFormat, pick, writeJsonLine } from './_output.js';
import { COMMAND_SUMMARIES } from '../registry.js';

export const summary = COMMAND_SUMMARIES.risk;

const usage = `
usage: lossyscale risk [--p P --q Q --r R --tau TAU] --n N --m M --lambda LAMBDA|opt [--json | --format text|json|csv]
       lossyscale risk --grid FILE.csv|- [--json | --format text|json|csv] [--skip-invalid] [--threads N|auto] [--quiet]

Deterministic risk of ridge regression in the stylized model (THEORY.md section 3):
R_det = tau^2 + K_m + B + (tau^2 + K_m) V, with lambda_* the root of the fixed point.

  --p, --q, --r, --tau   model (defaults: the paper's Figure 6, p=2.01 q=2 r=0.99 tau=1)
  --n                    training samples, 1 <= n <= 1e300
  --m                    kept levels, integer >= 1 (L = (q^m - 1)/(q - 1))
  --lambda               ridge penalty >= 0 (0 = ridgeless), or "opt" to minimise over lambda
  --grid FILE.csv        evaluate every row of a CSV with header p,q,r,tau,n,m,lambda (any column
                         order; lambda may be "opt"; "-" reads stdin). Streams: each row is read,
                         validated, evaluated and written in input order with bounded memory.
                         A bad row stops the run with one error line naming its row number.
  --skip-invalid         skip bad grid rows instead; their count goes to stderr
  --threads N|auto       threads for a grid's plain numeric rows (the main thread and N-1
                         workers; csv/json output, the same bytes as one thread). auto
                         (default): 2 on 2 or more cores with one idle (load average),
                         once 4 MB of input are read
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

export { RISK_FIELDS };

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
    threads: { type: 'string' },
    ...OUTPUT_FLAGS,
  });
  if (maybeHelp(values, usage)) return 0;
  const format = outputFormat(values, ['text', 'json', 'csv']);
  const grid = str(values, 'grid');
  if (grid !== undefined) {
    const extra = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda'].filter((k) => values[k] !== undefined);
    if (extra.length) throw new InputError(`--${extra[0]}`, values[extra[0]], 'not allowed with --grid (the CSV gives every parameter per row)');
    const threadsText = str(values, 'threads');
    let threads: number | 'auto' = 'auto';
    if (threadsText !== undefined && threadsText.trim() !== 'auto') {
      threads = DECIMAL_NUMBER.test(threadsText.trim()) ? Number(threadsText) : NaN;
      if (!(Number.isInteger(threads) && threads >= 1 && threads <= 16)) throw new InputError('--threads', threadsText, 'an integer 1..16, or "auto"');
    }
    return streamGrid(grid, format, values['skip-invalid'] === true, values.quiet === true, threads);
  }
  if (values['skip-invalid'] !== undefined) throw new InputError('--skip-invalid', true, 'only with --grid');
  if (values.threads !== undefined) throw new InputError('--threads', values.threads, 'only with --grid');
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

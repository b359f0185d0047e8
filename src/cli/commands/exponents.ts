import { parseNumber } from '../../util/validate.js';
import { FIGURE6_MODEL } from '../../model/params.js';
import { exponents } from '../../theory/exponents.js';
import { maybeHelp, parseFlags, str } from '../args.js';
import { formatTable } from './_table.js';
import { OUTPUT_FLAGS, outputFormat, writeJsonLine } from './_output.js';
import { formatCsvObjects } from '../../io/csv.js';
import { COMMAND_SUMMARIES } from '../registry.js';

export const summary = COMMAND_SUMMARIES.exponents;

const usage = `
usage: lossyscale exponents [--p P --q Q --r R] [--json | --format csv]

Scaling exponents of the stylized model (THEORY.md section 4); defaults: p=2.01 q=2 r=0.99.
  kappa = ln p / ln q, beta = ln(p/r) / ln q, s = min(beta, 2 kappa),
  alphaTheorem = s/(2 kappa + 1), alphaOptimal = s/(s + 1), nu = alpha beta/(alpha + beta),
  regime: bias-limited (beta < 2 kappa), saturated (beta > 2 kappa), boundary (equal: log factor).
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { p: { type: 'string' }, q: { type: 'string' }, r: { type: 'string' }, ...OUTPUT_FLAGS });
  if (maybeHelp(values, usage)) return 0;
  const get = (k: string, d: number): number => (str(values, k) === undefined ? d : parseNumber(k, str(values, k)));
  const params = { p: get('p', FIGURE6_MODEL.p), q: get('q', FIGURE6_MODEL.q), r: get('r', FIGURE6_MODEL.r) };
  const e = exponents(params);
  const format = outputFormat(values, ['text', 'json', 'csv']);
  if (format === 'json') {
    writeJsonLine(e);
    return 0;
  }
  if (format === 'csv') {
    process.stdout.write(formatCsvObjects(['kappa', 'beta', 's', 'alphaTheorem', 'alphaOptimal', 'nuTheorem', 'nuOptimal', 'regime'], [e]));
    return 0;
  }
  const rows: [string, number | string, string][] = [
    ['kappa', e.kappa, 'ln p / ln q: feature variance ~ index^-kappa'],
    ['beta', e.beta, 'ln(p/r) / ln q: compression error K_m ~ L^-beta'],
    ['s', e.s, 'min(beta, 2 kappa)'],
    ['alphaTheorem', e.alphaTheorem, 's/(2 kappa + 1): excess ~ n^-alpha with lambda = lambda0 n^((kappa+1)/(2kappa+1))'],
    ['alphaOptimal', e.alphaOptimal, 's/(s + 1): excess ~ n^-alpha with lambda tuned per (n, L)'],
    ['nuTheorem', e.nuTheorem, 'alphaTheorem beta/(alphaTheorem + beta): error ~ S^-nu at storage S'],
    ['nuOptimal', e.nuOptimal, 'alphaOptimal beta/(alphaOptimal + beta)'],
    ['regime', e.regime, e.regime === 'bias-limited' ? 'beta < 2 kappa: s = beta' : e.regime === 'saturated' ? 'beta > 2 kappa: ridge saturates, s = 2 kappa' : 'beta = 2 kappa: log factor, slow convergence'],
  ];
  console.log(`exponents for p=${params.p}, q=${params.q}, r=${params.r} (THEORY.md section 4)`);
  console.log(formatTable(['exponent', 'value', 'meaning'], rows.map(([a, b, c]) => [a, typeof b === 'number' ? b.toFixed(5) : b, c])));
  return 0;
}

import { arr, bool, configMetaFields, loadConfig, num, obj, oneOf, optional, str, type Infer } from './schema.js';
import type { ConfigOverride } from './overrides.js';
import { validateModel, type ModelParams } from '../model/params.js';
import { InputError } from '../errors.js';
import { LIMITS } from '../util/limits.js';

/**
 * Schema of a stylized-model experiment config such as `sims/fig6.json` (THEORY.md section 5):
 * model parameters, kept levels m, the n grids for theory lines and simulation, the
 * Theorem-1 lambda grid, and the Monte Carlo protocol. Shared by `lossyscale theory` and
 * `lossyscale simulate`.
 */
const logGridSchema = obj({
  from: num({ min: 0, minOpen: true }),
  to: num({ min: 0, minOpen: true }),
  count: num({ integer: true, min: 1, max: LIMITS.logGridCount }),
  /** Round each value down to an integer (the paper's floor(10^linspace(...))). */
  floor: optional(bool(), false),
});

export const stylizedConfigSchema = obj({
  ...configMetaFields,
  name: str({ nonEmpty: true }),
  description: optional(str()),
  model: obj({ p: num(), q: num(), r: num(), tau: num() }),
  levels: arr(num({ integer: true, min: 1, max: 60 }), { minLength: 1, increasing: true }),
  lambda: obj({
    /** lambda = lambda0 * n^((kappa+1)/(2 kappa+1)) (Theorem 1) for lambda0 on a log grid. */
    schedule: oneOf(['theorem1', 'constant'] as const),
    lambda0: logGridSchema,
  }),
  theory: obj({ n: logGridSchema }),
  simulation: obj({
    n: logGridSchema,
    reps: num({ integer: true, min: 1, max: LIMITS.reps }),
    extraLevels: num({ integer: true, min: 0, max: 10 }),
    features: optional(oneOf(['uniform', 'gaussian'] as const), 'uniform'),
    validationSize: num({ integer: true, min: 1, max: LIMITS.simulationSamples }),
    testSize: num({ integer: true, min: 1, max: LIMITS.simulationSamples }),
    scoring: optional(oneOf(['exact', 'sampled'] as const), 'exact'),
    lambdaSelection: optional(oneOf(['validation', 'oracle'] as const), 'validation'),
    /** How levels beyond m_max enter y: every coordinate drawn (faithful) or one draw per level sum (src/model/sample.ts). */
    tail: optional(oneOf(['coordinates', 'levelSums'] as const), 'coordinates'),
    /** Samples per block of the Monte Carlo Gram update (results depend on it only through rounding). */
    blockRows: optional(num({ integer: true, min: 4, max: 4096 }), 128),
  }),
  seed: num({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }),
  /** Output directory for results and figures, relative to the repo root. */
  out: str({ nonEmpty: true }),
});

export type StylizedConfig = Infer<typeof stylizedConfigSchema> & { model: ModelParams };
export type LogGrid = Infer<typeof logGridSchema>;

/** Parse and validate a stylized-model config object; model parameters get the model's own checks. */
export function parseStylizedConfig(json: unknown): StylizedConfig {
  const c = stylizedConfigSchema.parse(json, 'config');
  let model: ModelParams;
  try {
    model = validateModel(c.model);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`config.model.${e.param}`, e.value, e.valid);
    throw e;
  }
  if (c.simulation.n.count > LIMITS.simulationNCount) throw new InputError('config.simulation.n.count', c.simulation.n.count, `an integer 1..${LIMITS.simulationNCount}`);
  for (const [k, g] of [['theory.n', c.theory.n], ['simulation.n', c.simulation.n]] as const) {
    if (g.from < 1) throw new InputError(`config.${k}.from`, g.from, 'n >= 1');
  }
  for (const [k, g] of [['theory.n', c.theory.n], ['simulation.n', c.simulation.n], ['lambda.lambda0', c.lambda.lambda0]] as const) {
    if (!(g.to >= g.from)) throw new InputError(`config.${k}.to`, g.to, `>= config.${k}.from = ${g.from}`);
  }
  return { ...c, model };
}

/** Read and validate a stylized-model config file. */
export function loadStylizedConfig(file: string, overrides: readonly ConfigOverride[] = []): StylizedConfig {
  return parseStylizedConfig(loadConfig(file, { describe: 'a stylized-model config', parse: (v) => v }, overrides));
}

/** Values of a log-spaced grid: from * (to/from)^(i/(count-1)), optionally floored (THEORY.md section 5). */
export function logGridValues(g: LogGrid): number[] {
  const out: number[] = [];
  const lf = Math.log10(g.from);
  const lt = Math.log10(g.to);
  for (let i = 0; i < g.count; i++) {
    const v = g.count === 1 ? g.from : 10 ** (lf + ((lt - lf) * i) / (g.count - 1));
    out.push(g.floor ? Math.floor(v + 1e-9) : v);
  }
  return out;
}

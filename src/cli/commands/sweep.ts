import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { watchInterrupt } from '../../util/interrupt.js';
import { defaultMaxMemoryBytes, parseByteSize } from '../../util/limits.js';
import { loadSweepConfig } from '../../sweep/config.js';
import { runSweep } from '../../sweep/runSweep.js';
import { writeRunFigures } from '../../figures/fashionMnist.js';
import { maybeHelp, parseFlags, str, refuseStdioDirs } from '../args.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { writeJsonLine } from './_output.js';
import { parseOverrides } from '../../config/overrides.js';

export const summary = COMMAND_SUMMARIES.sweep;

const usage = `
usage: lossyscale sweep --config FILE [--set key.path=value ...] [--run DIR] [--resume | --resume-or-start] [--adopt]
                        [--allow-skipped] [--max-memory SIZE] [--quiet] [--json]
       lossyscale sweep plan ...     (job bundles for another machine; see 'lossyscale sweep plan --help')
       lossyscale sweep ingest ...   (record a bundle's results; see 'lossyscale sweep ingest --help')

Runs the whole real-data chain of one config (THEORY.md sections 6-7): JPEG XL encoding of
the training pool and test subsets at every grid distance (cached on disk), the (n, d) grid
of training jobs, the law fit, the storage strategies at equal budgets (scaling-optimal,
original format, randomized, naive fixed levels), the train x test distance matrix, then
tables and Figures 1-5 in the run directory.

  --config FILE   sweep config (JSON), e.g. sims/fashion-mnist-cpu.json ("-" reads stdin); its
                  JSON Schema is schemas/sweep-config.schema.json
  --set K=V       override one config field, e.g. --set grid.seeds=2 --set trainer=torch
                  (V is parsed as JSON, else taken as a string); repeatable; recorded in run.json
  --run DIR       run directory (default: runs/<config name>/<UTC time>)
  --resume        continue the run in DIR (default: the latest one of this config):
                  finished jobs are skipped, nothing is lost or repeated; a DIR without
                  run.json is refused
  --resume-or-start  resume the run in DIR, or start it there when DIR holds none yet
  --adopt         take over a DIR holding results.jsonl but no run.json (its rows are
                  validated and this config is recorded as theirs)
  --allow-skipped run even when more than 1% of a folder dataset's files are unreadable or
                  empty (each skipped file and empty class is listed on stderr and in run.json)
  --max-memory SIZE  refuse (exit 2) a sweep whose estimated memory is larger (default: half the
                  machine's RAM); large sweeps print their memory and time estimate first
  --quiet         no progress display
  --json          print one JSON line {runDir, config, jobsRun, jobsSkipped, seconds, phases, cpuPhases}

Ctrl-C (SIGINT) or SIGTERM stops at once: the job in flight is dropped, finished jobs are kept,
the exit status is 130 (143 for SIGTERM); run the same command with --resume to continue.

examples:
  lossyscale sweep --config sims/fashion-mnist-cpu.json
  lossyscale sweep --config sims/fashion-mnist-cpu.json --resume
  lossyscale sweep --config sims/fashion-mnist-paper.json --run runs/paper
`;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'plan' || argv[0] === 'ingest') {
    // Job bundles for another machine (src/cli/commands/_bundle.ts), loaded only when asked for.
    const bundle = await import('./_bundle.js');
    return argv[0] === 'plan' ? bundle.runPlan(argv.slice(1)) : bundle.runIngest(argv.slice(1));
  }
  const { values } = parseFlags(argv, { config: { type: 'string' }, set: { type: 'string', multiple: true }, run: { type: 'string' }, resume: { type: 'boolean' }, 'resume-or-start': { type: 'boolean' }, adopt: { type: 'boolean' }, 'allow-skipped': { type: 'boolean' }, quiet: { type: 'boolean' }, json: { type: 'boolean' }, 'max-memory': { type: 'string' } });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['run']);
  if (values.resume === true && values['resume-or-start'] === true) throw new InputError('--resume-or-start', true, 'either --resume (refuses a DIR without a run) or --resume-or-start, not both');
  const configPath = str(values, 'config');
  if (!configPath) throw new InputError('--config', undefined, 'a sweep config file, e.g. sims/fashion-mnist-cpu.json');
  const overrides = parseOverrides((values.set as string[] | undefined) ?? []);
  const config = loadSweepConfig(configPath, overrides);
  const startIfMissing = values['resume-or-start'] === true;
  const resume = values.resume === true || startIfMissing;
  let runDir = str(values, 'run');
  const base = join('runs', config.name);
  if (!runDir) {
    const dirs = resume && existsSync(base) ? readdirSync(base).filter((d) => existsSync(join(base, d, 'run.json'))).sort() : [];
    if (resume && dirs.length) {
      runDir = join(base, dirs[dirs.length - 1]);
    } else if (resume && !startIfMissing) {
      throw new InputError('--resume', true, `a run to resume: none found under ${base}/ (give --run DIR)`);
    } else {
      runDir = join(base, new Date().toISOString().replace(/[:.]/g, '-'));
    }
  }
  const maxMemoryFlag = str(values, 'max-memory');
  const maxMemoryBytes = maxMemoryFlag !== undefined ? parseByteSize('--max-memory', maxMemoryFlag) : defaultMaxMemoryBytes();
  const flag = watchInterrupt();
  const t0 = performance.now();
  try {
    const r = await runSweep(config, { runDir: resolve(runDir), resume, startIfMissing, adopt: values.adopt === true, allowSkipped: values['allow-skipped'] === true, quiet: values.quiet === true, checkInterrupt: () => flag.check(), signal: flag.signal, maxMemoryBytes, drawFigures: writeRunFigures });
    const secs = (performance.now() - t0) / 1000;
    if (values.json === true) {
      writeJsonLine({ runDir, config: config.name, jobsRun: r.jobsRun, jobsSkipped: r.jobsSkipped, seconds: secs, phases: r.phases, cpuPhases: r.cpuPhases });
      return 0;
    }
    console.log(`sweep ${config.name}: ${r.jobsRun} jobs trained, ${r.jobsSkipped} already done, ${secs.toFixed(0)} s; results in ${runDir}`);
    console.log(`phases, wall s: ${Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    console.log(`phases, CPU s:  ${Object.entries(r.cpuPhases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    return 0;
  } finally {
    flag.dispose();
  }
}

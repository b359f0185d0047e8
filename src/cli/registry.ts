/**
 * The CLI's commands and their one-line summaries, so that `lossyscale --help` needs no command
 * module loaded (each is imported only when run). A command file in src/cli/commands/ missing
 * here still works and shows in help (loaded for its `summary` export); test/cliContract.test.ts
 * keeps this list complete.
 */
export const COMMAND_SUMMARIES: Readonly<Record<string, string>> = {
  codec: 'JPEG XL by Butteraugli distance: per-distance compressed sizes of a dataset, distance <-> quality',
  dataset: 'Inspect a dataset: image size, channels, train/validation/test counts per class, skipped files',
  exponents: 'Theorem-1 exponents kappa, beta, alpha (schedule and optimal), storage exponents nu, regime',
  fit: 'fit the storage scaling law Err = E* + A n^-alpha + B L^-beta to a CSV of (n, L, error[, seed])',
  plan: 'from images and a storage budget to the compressed training set: size curve, pilot grid, law fit, n*, L*, d*, and the JPEG XL files',
  optimize: 'storage-optimal n*, L* for budgets S from a fitted law, with original-format and fixed-level comparisons',
  report: 'build the self-contained interactive HTML report (figures, exponents, tables, provenance)',
  risk: 'deterministic risk R_det (Lemma 1) and its parts at (n, m, lambda), or for every row of a CSV',
  slurm: 'run a sweep or Monte Carlo config on a Slurm cluster as job arrays: submit, status, collect',
  simulate: 'Monte Carlo ridge regression in the stylized model (Figure 6, or one (n, m, lambda) point)',
  sweep: 'real-data sweep: encode, (n, d) grid, law fit, storage strategies, test-compression matrix, tables and figures',
  theory: 'Figure-6 theory lines from a stylized config: CSV of R_det minimised over the lambda0 grid, and figures',
};

/**
 * The public API of lossyscale (THEORY.md sections 2-7): the stylized model's deterministic
 * risk and exponents, the Monte Carlo engine, the law fit and the storage-optimal allocation.
 * Everything here is a plain function over plain typed objects; nothing draws or prints.
 */
export { InputError, ResourceError, InterruptedError, isUserError } from './errors.js';

// Model (THEORY.md section 2).
export { validateModel, bitsPerSample, compressionError, signalEnergy, type ModelParams } from './model/params.js';

// Deterministic equivalent (THEORY.md section 3).
export { deterministicRisk, type RiskParts } from './theory/deterministicRisk.js';
export { solveFixedPoint, levelTerms, newFixedPointState, effectiveRegularization, validateRiskInput, type LevelTerms, type FixedPointState } from './theory/fixedPoint.js';
export { optimalLambda, optimalRisk, theorem1Lambda } from './theory/optimalLambda.js';

// Exponents (THEORY.md section 4).
export { exponents, storageExponent, type Exponents, type Regime } from './theory/exponents.js';

// Monte Carlo (THEORY.md section 5).
export { simulateStylized as simulate, runRepetitions, type SimulateOptions, type SimulateResult, type RunOptions } from './simulate/simulateStylized.js';
export { parseStylizedConfig, loadStylizedConfig, type StylizedConfig } from './config/fig6Config.js';

// Law fit (THEORY.md section 6).
export { fitLaw, type FitOptions, type LawFit, type Estimator } from './fit/fitLaw.js';
export { predictError, type LawForm, type LawObservation, type LawParams, type LawLike } from './fit/lawForms.js';
export { parseObservationsCsv } from './fit/csv.js';

// Storage-optimal allocation (THEORY.md section 7).
export { optimalAllocation, closedFormOptimum, type Allocation, type AllocationConstraints, type AllocationPoint, type ConstraintName } from './optimize/optimalAllocation.js';

// The one CSV reader/writer.
export { parseCsv, parseCsvRecords, parseCsvTable, CsvStreamParser, formatCsv, csvRow, csvCell, type CsvRecord, type CsvTable } from './io/csv.js';

/** The deterministic equivalent and exponents of the stylized model (THEORY.md sections 3-4). */
export { deterministicRisk, riskFromTerms, type RiskParts } from './deterministicRisk.js';
export { solveFixedPoint, levelTerms, newFixedPointState, effectiveRegularization, validateRiskInput, type LevelTerms, type FixedPointState } from './fixedPoint.js';
export { optimalLambda, optimalRisk, gridOptimalRisk, theorem1Lambda, scheduledLambda, brentMinimize, type LambdaSchedule } from './optimalLambda.js';
export { exponents, storageExponent, theorem1LambdaExponent, type Exponents, type Regime } from './exponents.js';

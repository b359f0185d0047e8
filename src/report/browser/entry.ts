/**
 * What the report's planner and theory explorer compute in the page, bundled for the
 * browser from lossyscale's own modules (THEORY.md sections 1-4 and 6): the Theorem-1
 * exponents, the deterministic risk with optimal lambda, model validation with the CLI's
 * messages, the storage-optimal allocation (the code of `lossyscale optimize`), the size
 * curve's inverse and the bootstrap band. No second implementation lives in the page.
 */
export { exponents } from '../../theory/exponents.js';
export { validateModel, bitsPerSample } from '../../model/params.js';
export { optimalRisk } from '../../theory/optimalLambda.js';
export { parseNumber } from '../../util/validate.js';
export { recommend, constraintsFromCurve } from '../../plan/recommend.js';
export { parseSize, formatBytes } from '../../plan/size.js';
export { distanceForBytes } from '../../plan/sizeCurve.js';
export { predictError } from '../../fit/lawForms.js';
export { InputError } from '../../errors.js';
export { fitSpecToWidth } from './fitWidth.js';

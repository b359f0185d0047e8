import type { LawFit } from '../fit/fitLaw.js';
import type { Provenance } from '../provenance.js';
import type { SizePoint } from './sizeCurve.js';
import type { PilotRow } from './pilot.js';

/** One written image of the training set (THEORY.md section 6): a row of manifest.csv. */
export interface ManifestRow {
  path: string;
  class: string;
  bytes: number;
  distance: number;
  source: string;
  sha256: string;
}

/** A manifest row with the image's index in the training pool. */
export type PlannedFile = ManifestRow & { index: number };

/** What `lossyscale plan` found and did (THEORY.md sections 1 and 6); plan.json is this without status and dryRun. */
export interface PlanResult {
  key: string;
  dryRun: boolean;
  /** 'written': files written now; 'resumed': an interrupted write was completed; 'complete': the directory already held this plan. */
  status: 'dry-run' | 'written' | 'resumed' | 'complete';
  outDir: string;
  budgetBytes: number;
  dataset: { source: string; classes: string[]; trainImages: number; validationImages: number; testImages: number; skipped: number };
  heldOut: { validation: number; test: number; note: string };
  sizeCurve: SizePoint[];
  pilot: { rows: PilotRow[]; trainer: string; poolImages: number };
  fit: Pick<LawFit, 'form' | 'estimator' | 'params' | 'stdErr' | 'intervals' | 'intervalMethod' | 'r2' | 'rmse' | 'nu' | 'warnings'> & { converged: boolean; r2Log: number | null; rmseLog: number | null; dataRange: LawFit['diagnostics']['dataRange'] };
  replicates: { requested: number; used: number; failed: number; resampled: 'seeds' | 'points' };
  recommendation: {
    imageBudgetBytes: number;
    metadataReserveBytes: number;
    n: number;
    L: number;
    distance: number;
    distanceSearch: string;
    predictedError: number;
    band: [number, number] | null;
    predictionInterval: [number, number] | null;
    confidence: number;
    activeConstraints: string[];
    originalFormat: { n: number; L: number; predictedError: number | null } | null;
    bestFixedLevel: { name: string; distance: number; n: number; L: number; predictedError: number | null } | null;
  };
  written: null | { images: number; imageBytes: number; manifestBytes: number; planBytes: number; totalBytes: number; perClass: Record<string, number>; verified: number; encoded: number };
  provenance: Provenance;
}

/** `.plan-state.json`: the chosen files of an unfinished write, so it resumes. */
export interface PlanState {
  key: string;
  result: PlanResult;
  files: PlannedFile[];
}

import type { FigureEntry } from './figureEntries.js';
import type { RunEntry } from './runEntries.js';

/**
 * Discovery of what a report shows (THEORY.md section 7): committed figures
 * (figureEntries.ts, linted by figureLint.ts) and run directories (runEntries.ts, with their
 * tables from tableFiles.ts), in the layouts of docs/architecture.md. Nothing here throws on a
 * bad file: every unreadable or malformed item becomes a `problems` line naming the file and
 * what is wrong, and the report shows it.
 */
export interface Discovery {
  figures: FigureEntry[];
  runs: RunEntry[];
  problems: string[];
}

export { displayPath } from './displayPath.js';
export { discoverFigures, figureUsesDir, readFigure, type FigureEntry } from './figureEntries.js';
export { encodingsOf, lintFigure, markTypesOf } from './figureLint.js';
export { parseMarkdownTable, parseMarkdownTables, readTables, type TableEntry } from './tableFiles.js';
export { defaultRunDirs, parseLaw, readRun, type LawSummary, type RunEntry } from './runEntries.js';

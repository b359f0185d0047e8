/**
 * The worker protocol, version 1 (worker/README.md): newline-delimited JSON over stdio.
 * Client -> worker: job, cancel, ping, shutdown. Worker -> client: hello (first line),
 * progress, result, error, pong, bye. Pixel data never travels in a message: a job names
 * arrays on disk (bundle.ts). THEORY.md section 6 (the trainer behind the sweep).
 */
export const PROTOCOL_VERSION = 1;

/** Where an array's pixels and labels live (paths relative to the bundle directory). */
export interface ArrayDescriptor {
  pixels: string;
  labels: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  sha256?: string;
  /** Codec distance the pixels were decoded from, when known (provenance only). */
  distance?: number;
}

/** Rows of a named array; without indices, all of it. */
export interface DataRef {
  array: string;
  indices?: string;
}

export interface ClassifyJobSpec {
  id: string;
  kind: 'classify';
  seed: number;
  data: { train: DataRef; validation?: DataRef; evaluate: Record<string, DataRef> };
  options?: Record<string, unknown>;
  /** Opaque to the worker; copied into the results (the sweep's planned job). */
  meta?: unknown;
}

export interface RidgeMcJobSpec {
  id: string;
  kind: 'ridge-mc';
  spec: Record<string, unknown>;
  meta?: unknown;
}

export type JobSpec = ClassifyJobSpec | RidgeMcJobSpec;

export type JobMessage = JobSpec & { type: 'job'; bundle?: string; arrays?: Record<string, ArrayDescriptor> };

export interface Hello {
  type: 'hello';
  protocol: number;
  worker: string;
  version: string;
  kinds: string[];
  models: string[];
  device: string;
  deviceName: string;
  gpus: { index: number; name: string; memoryGiB: number; capability: string }[];
  torch: string;
  cuda: string | null;
  cudnn: number | null;
  amp: string[];
  python: string;
  threads: number;
  groupTraining: boolean;
}

export interface WireEval {
  accuracy: number | null;
  error: number | null;
  perClassAccuracy: (number | null)[];
  count: number;
}

export interface ClassifyResult {
  evaluations: Record<string, WireEval>;
  trainSeconds: number;
  details: Record<string, unknown>;
  predictions?: Record<string, number[]>;
}

const isNumOrNull = (x: unknown): boolean => x === null || typeof x === 'number';

/** Whether a worker's result object has the ClassifyResult shape (evaluations of numbers or nulls, trainSeconds, details). */
export function isClassifyResult(v: unknown): v is ClassifyResult {
  if (typeof v !== 'object' || v === null) return false;
  const evaluations: unknown = Reflect.get(v, 'evaluations');
  const details: unknown = Reflect.get(v, 'details');
  if (typeof Reflect.get(v, 'trainSeconds') !== 'number' || typeof details !== 'object' || details === null) return false;
  if (typeof evaluations !== 'object' || evaluations === null) return false;
  return Object.values(evaluations).every((e: unknown) => {
    if (typeof e !== 'object' || e === null) return false;
    const per: unknown = Reflect.get(e, 'perClassAccuracy');
    return isNumOrNull(Reflect.get(e, 'accuracy')) && isNumOrNull(Reflect.get(e, 'error')) && typeof Reflect.get(e, 'count') === 'number' && Array.isArray(per) && per.every(isNumOrNull);
  });
}

export type ErrorKind = 'input' | 'resource' | 'cancelled' | 'internal';

export type WorkerMessage =
  | Hello
  | { type: 'progress'; id: string; fraction: number; message?: string }
  | { type: 'result'; id: string; result: Record<string, unknown> }
  | { type: 'error'; id: string | null; error: { kind: ErrorKind; message: string } }
  | { type: 'pong'; time: number }
  | { type: 'bye' };

const TYPES = new Set(['hello', 'progress', 'result', 'error', 'pong', 'bye']);

/** Parse one worker line; undefined for a line that is not a protocol message (it is logged, not trusted). */
export function parseWorkerLine(line: string): WorkerMessage | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null || !TYPES.has((msg as { type?: string }).type ?? '')) return undefined;
  const m = msg as WorkerMessage;
  if ((m.type === 'progress' || m.type === 'result') && typeof m.id !== 'string') return undefined;
  return m;
}

/** One protocol line for a client message. */
export function encodeMessage(msg: JobMessage | { type: 'cancel'; id: string } | { type: 'ping' } | { type: 'shutdown' }): string {
  return JSON.stringify(msg) + '\n';
}

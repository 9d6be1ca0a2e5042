// The one contract between the UI and the application: every method with its
// argument schema and result type, and every event. Both transports (Electron IPC
// and HTTP+WebSocket) and the renderer's client are derived from this object.
import { z } from 'zod';
import type { FieldIssue } from './wire';
import {
  CONFIG_NAMES,
  intIn,
  TrainParams,
  type BackendInfo,
  type ClusterStatus,
  type CheckpointInfo,
  type CompareRowInfo,
  type DatasetInfo,
  type DatasetKindInfo,
  type OfferedDatasetInfo,
  type EvaluationInfo,
  type PredictionInfo,
  PROTOCOLS,
  BACKEND_CHOICES,
  type MetricPoint,
  type ModelInfo,
  type RunDetail,
  type RunEvent,
  type RunProgress,
  type RunSummary,
} from './domain';
import type { StudyInfo } from './study';

interface MethodDef<A extends z.ZodType, R> {
  args: A;
  /** Phantom: carries the result type only. */
  result?: R;
}
const method = <R>() => <A extends z.ZodType>(args: A): MethodDef<A, R> => ({ args });

const RunId = z.object({ id: z.number().int().positive() }).strict();
const Empty = z.object({}).strict().default({});

export const methods = {
  'app.info': method<{ version: string; dataDir: string; transport: string; desktop: boolean }>()(Empty),
  /** The desktop app's native folder picker: the folder chosen, or null if the user cancelled. */
  'app.pickFolder': method<{ path: string | null }>()(Empty),
  'models.list': method<ModelInfo[]>()(
    z
      .object({
        inputSize: TrainParams.shape.inputSize.unwrap().default(224),
        width: TrainParams.shape.width.unwrap().default(1),
        classes: intIn(2, 100000).default(1000),
      })
      .strict()
      .default({ inputSize: 224, width: 1, classes: 1000 }),
  ),
  'backends.list': method<BackendInfo[]>()(Empty),
  'backends.rates': method<Record<string, number>>()(Empty),
  'models.memory': method<{ paramBytes: number; bytesPerImage: number; budgetBytes: number; suggestedBatch: number }>()(
    z
      .object({
        config: z.enum(CONFIG_NAMES),
        inputSize: TrainParams.shape.inputSize.unwrap(),
        width: TrainParams.shape.width.unwrap(),
        classes: intIn(2, 100000).default(10),
      })
      .strict(),
  ),
  /** Newest first; `limit` gives just the first rows (the run list's first screen). */
  'runs.list': method<RunSummary[]>()(z.object({ limit: z.number().int().min(1).max(1_000_000).optional() }).strict().default({})),
  'runs.get': method<RunDetail>()(RunId),
  'runs.metrics': method<MetricPoint[]>()(
    z.object({ id: z.number().int().positive(), afterStep: z.number().int().min(-1).default(-1) }).strict(),
  ),
  'runs.events': method<RunEvent[]>()(RunId),
  'runs.series': method<{ step: number; epoch: number; value: number }[]>()(
    z
      .object({
        id: z.number().int().positive(),
        split: z.enum(['train', 'val']),
        name: z.string().min(1).max(64),
        buckets: z.number().int().min(10).max(100000).default(1000),
        fromStep: z.number().int().min(0).optional(),
        toStep: z.number().int().min(0).optional(),
      })
      .strict(),
  ),
  'runs.start': method<{ id: number }>()(TrainParams),
  'runs.stop': method<{ id: number; status: string }>()(RunId),
  'runs.startChain': method<{ ids: number[]; experiment: string }>()(
    z
      .object({
        params: TrainParams.omit({ config: true, init: true }),
        configs: z.array(z.enum(CONFIG_NAMES)).min(1).default(['B', 'C', 'D', 'E']),
      })
      .strict(),
  ),
  /** The paper's Table 3 as one study: its runs for each seed (seeds from params.seed on), warm-started as in the paper. */
  'studies.start': method<{ id: number; experiment: string; ids: number[] }>()(
    z
      .object({
        params: TrainParams.omit({ config: true, init: true, scale: true }),
        configs: z.array(z.enum(CONFIG_NAMES)).min(1).default([...CONFIG_NAMES]),
        seeds: intIn(1, 20).default(1),
      })
      .strict(),
  ),
  'studies.list': method<StudyInfo[]>()(Empty),
  'studies.get': method<StudyInfo>()(RunId),
  /** Stops every run of the study that is queued or training. */
  'studies.cancel': method<StudyInfo>()(RunId),
  /** Goes on with every run of the study that did not complete: from its newest checkpoint, or from its start where it has none. */
  'studies.resume': method<{ id: number; resumed: number[] }>()(RunId),
  'runs.pause': method<{ id: number; paused: boolean }>()(z.object({ id: z.number().int().positive(), paused: z.boolean() }).strict()),
  /** backend: continue on another backend (its checkpoints are the same on every one), recorded in the run's parameters. */
  'runs.resume': method<{ id: number; fromEpoch: number; fromStep: number }>()(z.object({ id: z.number().int().positive(), backend: z.enum(BACKEND_CHOICES).optional() }).strict()),
  'runs.checkpoints': method<CheckpointInfo[]>()(RunId),
  'evaluations.run': method<EvaluationInfo>()(
    z
      .object({
        ids: z.array(z.number().int().positive()).min(1).max(64),
        // The paper's main protocol, on the final weights, unless asked otherwise.
        protocol: z.enum(PROTOCOLS).default('dense'),
        scales: z.array(intIn(32, 2048)).min(1, 'at least one test scale').max(8, 'at most 8 test scales').optional(),
        checkpoint: z.union([z.enum(['last', 'best']), z.number().int().min(1)]).default('last'),
      })
      .strict(),
  ),
  /** "Try the model": files on the machine the app runs on, or images sent with the call (base64). */
  'runs.predict': method<PredictionInfo>()(
    z
      .object({
        id: z.number().int().positive(),
        files: z.array(z.string().min(1)).max(10_000).optional(),
        images: z.array(z.object({ name: z.string().min(1).max(255), data: z.string().base64() }).strict()).max(256, 'at most 256 images a call').optional(),
        protocol: z.enum(PROTOCOLS).default('center'),
        scales: z.array(intIn(32, 2048)).min(1, 'at least one test scale').max(8, 'at most 8 test scales').optional(),
        checkpoint: z.union([z.enum(['last', 'best']), z.number().int().min(1)]).default('last'),
      })
      .strict()
      .refine((a) => (a.files?.length ?? 0) + (a.images?.length ?? 0) > 0, { message: 'accepted: one or more image files (files) or images (images)', path: ['files'] })
      .refine((a) => !(a.files?.length && a.images?.length), { message: 'accepted: files or images, not both in one call', path: ['images'] }),
  ),
  'export.runs': method<{ format: string; filename: string; content: string }>()(
    z.object({ ids: z.array(z.number().int().positive()).min(1), format: z.enum(['csv', 'json', 'md', 'latex']) }).strict(),
  ),
  'compare.rows': method<CompareRowInfo[]>()(z.object({ ids: z.array(z.number().int().positive()).min(1), paper: z.boolean().default(true) }).strict()),
  'runs.delete': method<{ id: number; deleted: true }>()(RunId),
  'runs.annotate': method<RunDetail>()(
    z.object({ id: z.number().int().positive(), tags: z.array(z.string().min(1).max(40).regex(/^[^,]+$/, 'a tag may not contain a comma')).max(20).optional(), notes: z.string().max(10000).optional() }).strict(),
  ),
  'datasets.list': method<DatasetInfo[]>()(Empty),
  /** The dataset kinds (SPEC forms) this app reads, with examples for the New-run form. */
  'datasets.kinds': method<DatasetKindInfo[]>()(Empty),
  /** Benchmarks installed on this machine (e.g. Debian's dataset-fashion-mnist), usable by name; a registered dataset of the same name hides one. */
  'datasets.offered': method<OfferedDatasetInfo[]>()(Empty),
  /** A dataset's class names by SPEC (a folder's class folders, Fashion-MNIST's names); empty where it names none. */
  'datasets.classNames': method<string[]>()(z.object({ spec: z.string().min(1) }).strict()),
  'datasets.add': method<DatasetInfo>()(
    z.object({ path: z.string().min(1).max(4096), name: z.string().min(1).max(100).optional() }).strict(),
  ),
  'datasets.samples': method<{ name: string; classes: { name: string; images: string[] }[] }>()(
    z.object({ name: z.string().min(1).max(100), perClass: z.number().int().min(1).max(16).default(6) }).strict(),
  ),
  'cluster.status': method<ClusterStatus>()(Empty),
  /** Saves the queue URL and artifacts folder in the data folder (empty queue: no cluster); a URL given back with *** keeps the saved password. */
  'cluster.configure': method<ClusterStatus>()(z.object({ queue: z.string().max(2048), artifacts: z.string().max(4096).optional() }).strict()),
  'evaluations.list': method<EvaluationInfo[]>()(z.object({ id: z.number().int().positive().optional() }).strict().default({})),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ArgsOf<M extends MethodName> = z.input<Methods[M]['args']>;
export type ParsedArgsOf<M extends MethodName> = z.output<Methods[M]['args']>;
export type ResultOf<M extends MethodName> = NonNullable<Methods[M]['result']>;
/** What the services provide: one handler per method, taking the parsed arguments. */
export type Handlers = { [M in MethodName]: (args: ParsedArgsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };

export interface Events {
  'run.updated': RunSummary;
  'run.metrics': { runId: number; points: MetricPoint[] };
  'run.event': { runId: number; event: RunEvent };
  'run.progress': RunProgress;
  'eval.progress': { runIds: number[]; done: number; total: number };
  'eval.done': EvaluationInfo;
  'run.deleted': { id: number };
  /** The desktop's menu or a notification asks the window to show a page. */
  'app.navigate': { hash: string };
}
export type EventName = keyof Events;
// Every event of the interface, no more and no fewer: the compiler checks this record's keys against Events.
const EVENT_KEYS: { [E in EventName]: true } = { 'run.updated': true, 'run.metrics': true, 'run.event': true, 'run.progress': true, 'eval.progress': true, 'eval.done': true, 'run.deleted': true, 'app.navigate': true };
export const EVENT_NAMES = Object.keys(EVENT_KEYS) as EventName[];

/** What window.api exposes in the renderer, whichever transport carries it. */
export interface Api {
  call<M extends MethodName>(method: M, args?: ArgsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

/** An error the caller caused (bad payload, unknown method, unknown run): reported, not logged as a crash. */
/**
 * A refused call. Where it is about fields of the arguments, `issues` names each field and what is
 * wrong with it, without the field's name in the text: each front end phrases it (train-fields.ts:
 * `--input-size` in the CLI, "Input size" in the form). `message` is the plain sentence for logs.
 */
export class ContractError extends Error {
  readonly issues: FieldIssue[];
  constructor(
    message: string,
    readonly code: 'bad_request' | 'not_found' | 'conflict' = 'bad_request',
    issues?: FieldIssue[],
  ) {
    super(message);
    this.name = 'ContractError';
    this.issues = issues ?? [{ message }];
  }

  /** A refusal of one field's value. */
  static field(field: string, message: string, code: ContractError['code'] = 'bad_request'): ContractError {
    return new ContractError(`${field}: ${message}`, code, [{ field, message }]);
  }
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** A zod failure as field issues: the field is the last named step of the path (params.inputSize → inputSize). */
export function zodIssues(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => {
    const field = [...i.path].reverse().find((p) => typeof p === 'string');
    return field ? { field, message: i.message } : { message: i.message };
  });
}

/** Turns a zod failure into one sentence naming each bad field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const where = i.path.length ? i.path.join('.') : 'payload';
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

export function parseArgs<M extends MethodName>(name: M, args: unknown): ParsedArgsOf<M> {
  const schema = methods[name].args;
  const res = schema.safeParse(args === undefined || args === null ? undefined : args);
  if (!res.success) throw new ContractError(`invalid arguments for ${name}: ${describeZodError(res.error)}`, 'bad_request', zodIssues(res.error));
  return res.data as ParsedArgsOf<M>;
}

// The runs table's columns: what each shows and how it sorts, which are on until the user chooses,
// and the choice kept across restarts (localStorage of the window or the served page).
import type { RunSummary } from '../../../shared/domain';
import { pct } from '../../../shared/format';

export interface RunColumn {
  key: string;
  label: string;
  /** The sort value; null sorts last either way. */
  value: (r: RunSummary) => number | string | null;
  /** The cell's text where it is not the value as is. */
  text?: (r: RunSummary) => string;
  /** Shown until the user chooses. */
  shown: boolean;
  /** Sorted best (largest) first on its first click. */
  descending?: boolean;
}

const seconds = (r: RunSummary) => (r.startedAt ? ((r.endedAt ? Date.parse(r.endedAt) : Date.now()) - Date.parse(r.startedAt)) / 1000 : null);
const duration = (s: number | null) => (s === null ? '–' : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);
const err = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

/** The columns after Run, Config and Status (which are always there), in table order. */
export const RUN_COLUMNS: readonly RunColumn[] = [
  { key: 'epoch', label: 'Epoch', value: (r) => r.epoch, text: (r) => `${r.epoch}/${r.epochs}`, shown: true },
  { key: 'dataset', label: 'Dataset', value: (r) => r.dataset, shown: true },
  { key: 'backend', label: 'Backend', value: (r) => r.backend, shown: true },
  { key: 'val', label: 'Val top-1', value: (r) => r.valTop1, text: (r) => pct(r.valTop1), shown: true, descending: true },
  { key: 'best', label: 'Best val top-1', value: (r) => r.bestValTop1, text: (r) => pct(r.bestValTop1), shown: false, descending: true },
  { key: 'evalTop1', label: 'Eval top-1 err', value: (r) => r.evaluation?.top1Error ?? null, text: (r) => (r.evaluation ? `${err(r.evaluation.top1Error)} (${r.evaluation.protocol})` : '–'), shown: false },
  { key: 'evalTop5', label: 'Eval top-5 err', value: (r) => r.evaluation?.top5Error ?? null, text: (r) => err(r.evaluation?.top5Error), shown: false },
  { key: 'experiment', label: 'Experiment', value: (r) => r.experiment, shown: false },
  { key: 'lr', label: 'LR', value: (r) => r.lr, shown: false },
  { key: 'batch', label: 'Batch', value: (r) => r.batch, shown: false },
  { key: 'width', label: 'Width', value: (r) => r.width, shown: false },
  { key: 'input', label: 'Input', value: (r) => r.inputSize, shown: false },
  { key: 'scale', label: 'S', value: (r) => r.scale, text: (r) => r.scale ?? 'default', shown: false },
  { key: 'seed', label: 'Seed', value: (r) => r.seed, shown: false },
  { key: 'duration', label: 'Duration', value: seconds, text: (r) => duration(seconds(r)), shown: false },
  { key: 'tags', label: 'Tags', value: (r) => r.tags.join(', '), shown: true },
  { key: 'created', label: 'Created', value: (r) => r.createdAt, text: (r) => r.createdAt.replace('T', ' ').slice(0, 19), shown: true },
];

const STORE = 'vgglab.runs.columns';

/** The columns the user chose, else the defaults; unknown keys (from another version) are dropped. */
export function loadShown(): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? 'null') as unknown;
    if (Array.isArray(saved)) return saved.filter((k): k is string => RUN_COLUMNS.some((c) => c.key === k));
  } catch {
    /* nothing saved, or not readable: the defaults */
  }
  return RUN_COLUMNS.filter((c) => c.shown).map((c) => c.key);
}

export function saveShown(keys: string[]): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(keys));
  } catch {
    /* storage off: the choice lasts this session */
  }
}

/** Compares two runs on a column: nulls last, numbers as numbers, ties by run id. */
export function compareOn(col: Pick<RunColumn, 'value'>, dir: 1 | -1): (a: RunSummary, b: RunSummary) => number {
  return (a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return dir * c || a.id - b.id;
  };
}

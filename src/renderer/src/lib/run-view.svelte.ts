// Live state of one run: its row, metric series (decimated server-side), events, checkpoints,
// fed by the contract's events.
import type { CheckpointInfo, MetricPoint, RunDetail, RunEvent, RunProgress } from '../../../shared/domain';
import { metricSpec, RUN_PAGE_KEYS, type MetricKey } from '../../../shared/metrics';
import { interpolator, type XAxis } from './axis';
import { api } from './api';

export type SeriesKey = MetricKey;
/** The series this page follows, from the shared metric list. */
const KEYS = RUN_PAGE_KEYS;
/** The per-step series the zoom applies to. */
const STEP_KEY: SeriesKey = 'train/loss';
/** Buckets for a per-step series: each keeps its min and max, so about 4,000 points at most. */
const STEP_BUCKETS = 2000;
/** Live charts redraw at most this often (each redraw costs CPU the trainer could use); the progress line once a second. */
const CHART_REDRAW_MS = 1000;
const PROGRESS_REDRAW_MS = 1000;

type Pt = { step: number; epoch: number; value: number };

export class RunView {
  run = $state<RunDetail | null>(null);
  series = $state.raw<Record<SeriesKey, Pt[]>>(Object.fromEntries(KEYS.map((k) => [k, []])) as unknown as Record<SeriesKey, Pt[]>);
  events = $state.raw<RunEvent[]>([]);
  progress = $state<RunProgress | null>(null);
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  error = $state('');
  /** A step range the loss chart is zoomed to, drawn at full resolution; null = the whole run. */
  zoom = $state<{ from: number; to: number } | null>(null);
  private offs: (() => void)[] = [];

  constructor(readonly id: number) {}

  async load(): Promise<void> {
    // Subscribe first so nothing that happens during the fetch is missed; duplicates are skipped by step.
    this.offs.push(
      api.on('run.metrics', ({ runId, points }) => runId === this.id && this.append(points)),
      api.on('run.event', ({ runId, event }) => {
        if (runId !== this.id || this.events.some((e) => e.id === event.id)) return;
        // Points sent before an event (a pause, a stop, an LR drop) show with it.
        if (this.flushTimer) {
          clearTimeout(this.flushTimer);
          this.flush();
        }
        this.events = [...this.events, event];
        if (event.kind === 'checkpoint') void this.loadCheckpoints();
        if (event.kind === 'resume') void this.reload();
      }),
      api.on('run.progress', (p) => {
        if (p.runId !== this.id) return;
        // At most one redraw a second; an epoch's end shows at once.
        this.pendingProgress = p;
        if (p.stepInEpoch === p.stepsPerEpoch || !this.progress) this.showProgress();
        else this.progressTimer ??= setTimeout(() => this.showProgress(), PROGRESS_REDRAW_MS);
      }),
      api.on('run.updated', (r) => {
        if (r.id !== this.id || !this.run) return;
        this.run = { ...this.run, ...r };
        // The event carries the list row; the full summary comes with the run itself.
        void api.call('runs.get', { id: this.id }).then((full) => (this.run = full));
      }),
    );
    try {
      this.run = await api.call('runs.get', { id: this.id });
      await this.reload();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private async fetchSeries(key: SeriesKey): Promise<Pt[]> {
    const [split, name] = key.split('/') as ['train' | 'val', string];
    const zoom = key === STEP_KEY ? this.zoom : null;
    return api.call('runs.series', { id: this.id, split, name, buckets: metricSpec(key)?.perStep ? STEP_BUCKETS : 100000, ...(zoom ? { fromStep: zoom.from, toStep: zoom.to } : {}) });
  }

  /** Live points that arrived while the series were being fetched: laid over the fetched ones, which may predate them. */
  private during: MetricPoint[] | null = null;

  async reload(): Promise<void> {
    this.during = [];
    let all: Pt[][];
    try {
      all = await Promise.all(KEYS.map((k) => this.fetchSeries(k)));
    } finally {
      const late = this.during ?? [];
      this.during = null;
      this.buffered = [...late, ...this.buffered];
    }
    this.series = Object.fromEntries(KEYS.map((k, i) => [k, all[i]!])) as Record<SeriesKey, Pt[]>;
    if (this.buffered.length) this.flush();
    this.events = await api.call('runs.events', { id: this.id });
    await this.loadCheckpoints();
  }

  async setZoom(zoom: { from: number; to: number } | null): Promise<void> {
    this.zoom = zoom;
    const loss = await this.fetchSeries(STEP_KEY);
    this.series = { ...this.series, [STEP_KEY]: loss };
  }

  private pendingProgress: RunProgress | null = null;
  private progressTimer: ReturnType<typeof setTimeout> | null = null;

  private showProgress(): void {
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    if (this.pendingProgress) this.progress = this.pendingProgress;
  }

  /** Live points wait here and reach the charts at most every CHART_REDRAW_MS. */
  private buffered: MetricPoint[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private append(points: MetricPoint[]): void {
    this.during?.push(...points);
    this.buffered.push(...points);
    this.flushTimer ??= setTimeout(() => this.flush(), CHART_REDRAW_MS);
  }

  private flush(): void {
    this.flushTimer = null;
    const points = this.buffered;
    this.buffered = [];
    const added: Partial<Record<SeriesKey, Pt[]>> = {};
    for (const p of points) {
      const key = `${p.split}/${p.name}` as SeriesKey;
      const list = this.series[key];
      if (!list) continue;
      const fresh = (added[key] ??= []);
      const last = fresh.at(-1) ?? list.at(-1);
      if (last && last.step >= p.step) continue;
      if (key === STEP_KEY && this.zoom && p.step > this.zoom.to) continue;
      fresh.push({ step: p.step, epoch: p.epoch, value: p.value });
    }
    const keys = Object.keys(added) as SeriesKey[];
    if (!keys.length) return;
    const next = { ...this.series };
    for (const k of keys) next[k] = next[k].concat(added[k]!);
    this.series = next;
    // A long watch re-decimates the per-step loss instead of letting it grow without bound.
    if (!this.zoom && next[STEP_KEY].length > 3 * STEP_BUCKETS) void this.setZoom(null);
  }

  xy(key: SeriesKey, x: 'step' | 'epoch'): { x: number; y: number }[] {
    return this.series[key].filter((p) => p.value !== null).map((p) => ({ x: p[x], y: p.value }));
  }

  /** Where a step lies in epochs (fractional inside one) and in training seconds, from the run's own knots. */
  readonly stepTo = $derived({
    epoch: interpolator(this.series['val/top1'].map((p) => ({ x: p.step, y: p.epoch }))),
    time: interpolator(this.series['train/elapsed'].map((p) => ({ x: p.step, y: p.value }))),
  });

  /** A series on the chosen x axis: its own step or epoch, or its step mapped to an epoch or a time. */
  on(key: SeriesKey, axis: XAxis): { x: number; y: number }[] {
    if (axis === 'step' || (axis === 'epoch' && !metricSpec(key)?.perStep)) return this.xy(key, axis);
    const f = this.stepTo[axis];
    return this.series[key].filter((p) => p.value !== null).map((p) => ({ x: f(p.step), y: p.value })).filter((p) => Number.isFinite(p.x));
  }

  /** The epoch with the best validation top-1, and its step. */
  get best(): Pt | null {
    let best: Pt | null = null;
    for (const p of this.series['val/top1']) if (!best || p.value > best.value) best = p;
    return best;
  }

  private async loadCheckpoints(): Promise<void> {
    this.checkpoints = await api.call('runs.checkpoints', { id: this.id });
  }

  async resume(): Promise<void> {
    try {
      this.error = '';
      await api.call('runs.resume', { id: this.id });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Paused: the last pause event has no unpause after it (and the run is still running). */
  get paused(): boolean {
    const last = [...this.events].reverse().find((e) => e.kind === 'pause' || e.kind === 'unpause' || e.kind === 'resume');
    return this.run?.status === 'running' && last?.kind === 'pause';
  }

  async setPaused(paused: boolean): Promise<void> {
    try {
      this.error = '';
      await api.call('runs.pause', { id: this.id, paused });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async stop(): Promise<void> {
    try {
      await api.call('runs.stop', { id: this.id });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.offs.forEach((o) => o());
  }
}

// Live state of one run: its row, metric points and events, fed by the contract's events.
import type { CheckpointInfo, MetricPoint, RunDetail, RunEvent, RunProgress } from '../../../shared/domain';
import { api } from './api';

export class RunView {
  run = $state<RunDetail | null>(null);
  points = $state.raw<MetricPoint[]>([]);
  events = $state.raw<RunEvent[]>([]);
  progress = $state<RunProgress | null>(null);
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  error = $state('');
  private lastStep = -1;
  private offs: (() => void)[] = [];

  constructor(readonly id: number) {}

  async load(): Promise<void> {
    // Subscribe first so nothing that happens during the fetch is missed; duplicates are skipped by step.
    this.offs.push(
      api.on('run.metrics', ({ runId, points }) => runId === this.id && this.addPoints(points)),
      api.on('run.event', ({ runId, event }) => {
        if (runId !== this.id || this.events.some((e) => e.id === event.id)) return;
        this.events = [...this.events, event];
        if (event.kind === 'checkpoint') void this.loadCheckpoints();
        if (event.kind === 'resume') void this.reload();
      }),
      api.on('run.progress', (p) => {
        if (p.runId === this.id) this.progress = p;
      }),
      api.on('run.updated', (r) => {
        if (r.id === this.id && this.run) this.run = { ...this.run, ...r };
      }),
    );
    try {
      const [run, points, events] = await Promise.all([api.call('runs.get', { id: this.id }), api.call('runs.metrics', { id: this.id }), api.call('runs.events', { id: this.id })]);
      this.run = run;
      this.addPoints(points);
      this.events = events;
      await this.loadCheckpoints();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private addPoints(points: MetricPoint[]): void {
    const fresh = points.filter((p) => p.step > this.lastStep || (p.step === this.lastStep && p.name !== 'loss'));
    if (!fresh.length) return;
    // Epoch metrics share the last step of their epoch; keep one of each.
    const seen = new Set(this.points.filter((p) => p.step === this.lastStep).map((p) => `${p.split}/${p.name}`));
    const add = fresh.filter((p) => p.step > this.lastStep || !seen.has(`${p.split}/${p.name}`));
    this.points = [...this.points, ...add];
    this.lastStep = Math.max(this.lastStep, ...add.map((p) => p.step));
  }

  series(split: 'train' | 'val', name: string, x: 'step' | 'epoch'): { x: number; y: number }[] {
    return this.points.filter((p) => p.split === split && p.name === name && p.value !== null).map((p) => ({ x: p[x], y: p.value }));
  }

  private async loadCheckpoints(): Promise<void> {
    this.checkpoints = await api.call('runs.checkpoints', { id: this.id });
  }

  /** After a resume the server dropped everything recorded past the checkpoint: start over from it. */
  private async reload(): Promise<void> {
    const [points, events] = await Promise.all([api.call('runs.metrics', { id: this.id }), api.call('runs.events', { id: this.id })]);
    this.points = [];
    this.lastStep = -1;
    this.addPoints(points);
    this.events = events;
    await this.loadCheckpoints();
  }

  async resume(): Promise<void> {
    try {
      this.error = '';
      await api.call('runs.resume', { id: this.id });
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
    this.offs.forEach((o) => o());
  }
}

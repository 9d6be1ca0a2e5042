// Live state of one run: its row, metric points and events, fed by the contract's events.
import type { MetricPoint, RunDetail, RunEvent, RunProgress } from '../../../shared/domain';
import { api } from './api';

export class RunView {
  run = $state<RunDetail | null>(null);
  points = $state.raw<MetricPoint[]>([]);
  events = $state.raw<RunEvent[]>([]);
  progress = $state<RunProgress | null>(null);
  error = $state('');
  private lastStep = -1;
  private offs: (() => void)[] = [];

  constructor(readonly id: number) {}

  async load(): Promise<void> {
    // Subscribe first so nothing that happens during the fetch is missed; duplicates are skipped by step.
    this.offs.push(
      api.on('run.metrics', ({ runId, points }) => runId === this.id && this.addPoints(points)),
      api.on('run.event', ({ runId, event }) => {
        if (runId === this.id && !this.events.some((e) => e.id === event.id)) this.events = [...this.events, event];
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

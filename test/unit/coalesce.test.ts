import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesceLive } from '../../src/main/transports/coalesce';

const progress = (runId: number, step: number) => ({ runId, epoch: 0, epochs: 1, step, stepInEpoch: step, stepsPerEpoch: 100, imagesPerSec: 1, lr: 0.01 });
const point = (step: number) => ({ step, epoch: 1, split: 'train' as const, name: 'loss', value: step });

describe('live events to a UI connection', () => {
  afterEach(() => vi.useRealTimers());

  it('sends a run’s points in one message per interval and only its latest progress, losing no point', () => {
    vi.useFakeTimers();
    const sent: [string, unknown][] = [];
    const live = coalesceLive((name, payload) => sent.push([name, payload]), 1000);
    for (let s = 1; s <= 10; s++) {
      live.push('run.metrics', { runId: 1, points: [point(s)] });
      live.push('run.progress', progress(1, s));
    }
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(sent.map(([n]) => n)).toEqual(['run.metrics', 'run.progress']);
    expect((sent[0]![1] as { points: unknown[] }).points).toHaveLength(10);
    expect((sent[1]![1] as { step: number }).step).toBe(10);
    live.close();
  });

  it('keeps order: another event of the run first delivers what is pending for it', () => {
    vi.useFakeTimers();
    const sent: [string, { runId: number; points?: { step: number }[]; event?: { kind: string } }][] = [];
    const live = coalesceLive((name, payload) => sent.push([name, payload as (typeof sent)[number][1]]), 1000);
    live.push('run.metrics', { runId: 2, points: [point(1)] });
    live.push('run.metrics', { runId: 3, points: [point(1), point(2)] });
    live.push('run.metrics', { runId: 2, points: [point(2)] });
    live.push('run.event', { runId: 2, event: { step: 2, epoch: 1, kind: 'pause', payload: {} } });
    // Run 2's points precede its pause; run 3's wait for the interval.
    const summary = () => sent.map(([name, p]) => `${name} run ${p.runId}: ${p.points ? p.points.map((x) => x.step).join(',') : p.event!.kind}`);
    expect(summary()).toEqual(['run.metrics run 2: 1,2', 'run.event run 2: pause']);
    vi.advanceTimersByTime(1000);
    expect(summary()).toEqual(['run.metrics run 2: 1,2', 'run.event run 2: pause', 'run.metrics run 3: 1,2']);
    live.close();
  });
});

// Live events for one UI connection, thinned: a run's metric points are sent in one message per
// interval and only its latest progress, so a watching window handles two messages a second per run
// instead of ten. Order is kept: any other event of a run first flushes what is pending for it.
import type { EventName, Events } from '../../shared/contract';
import type { MetricPoint, RunProgress } from '../../shared/domain';

type Send = <E extends EventName>(name: E, payload: Events[E]) => void;

export function coalesceLive(send: Send, intervalMs = 1000) {
  const points = new Map<number, MetricPoint[]>();
  const progress = new Map<number, RunProgress>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const flushRun = (runId: number) => {
    const p = points.get(runId);
    if (p) send('run.metrics', { runId, points: p });
    points.delete(runId);
    const g = progress.get(runId);
    if (g) send('run.progress', g);
    progress.delete(runId);
  };
  const flushAll = () => {
    timer = null;
    for (const runId of new Set([...points.keys(), ...progress.keys()])) flushRun(runId);
  };
  const later = () => (timer ??= setTimeout(flushAll, intervalMs));

  return {
    push<E extends EventName>(name: E, payload: Events[E]): void {
      if (name === 'run.metrics') {
        const { runId, points: p } = payload as Events['run.metrics'];
        const list = points.get(runId);
        if (list) list.push(...p);
        else points.set(runId, [...p]);
        later();
        return;
      }
      if (name === 'run.progress') {
        const p = payload as Events['run.progress'];
        progress.set(p.runId, p);
        later();
        return;
      }
      const runId = name === 'run.event' ? (payload as Events['run.event']).runId : name === 'run.updated' ? (payload as Events['run.updated']).id : name === 'run.deleted' ? (payload as Events['run.deleted']).id : null;
      if (runId !== null) flushRun(runId);
      send(name, payload);
    },
    close(): void {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

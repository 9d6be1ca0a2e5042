// The run list, kept live by run.updated events.
import type { RunSummary } from '../../../shared/domain';
import { api } from './api';

// The list is replaced, never mutated in place: raw state skips a proxy per run (10,000 runs filter fast).
class RunsState {
  runs = $state.raw<RunSummary[]>([]);
  loaded = $state(false);
  /** Only the newest rows are here yet; the rest are on their way. */
  partial = $state(false);
  error = $state('');
}
export const runsState = new RunsState();

/** The newest `first` runs at once (the first screen), then all of them (filters and sorting need every run). */
export async function refreshRuns(first = 100): Promise<void> {
  try {
    if (!runsState.loaded) {
      const head = await api.call('runs.list', { limit: first });
      if (!runsState.loaded) {
        runsState.runs = head;
        runsState.partial = head.length === first;
        runsState.loaded = true;
      }
      if (head.length < first) return;
    }
    runsState.runs = await api.call('runs.list');
    runsState.partial = false;
    runsState.loaded = true;
  } catch (err) {
    runsState.error = (err as Error).message;
  }
}

api.on('run.updated', (run) => {
  const i = runsState.runs.findIndex((r) => r.id === run.id);
  if (i >= 0) runsState.runs = runsState.runs.with(i, run);
  else runsState.runs = [run, ...runsState.runs];
});

api.on('run.deleted', ({ id }) => {
  runsState.runs = runsState.runs.filter((r) => r.id !== id);
});

// What the desktop tells the user when a run it trains ends: a system notification for completed,
// diverged and failed (a stop the user asked for needs none), once per run.
import type { RunSummary } from '../../shared/domain';
import { pct } from '../../shared/format';

export interface Notice {
  runId: number;
  title: string;
  body: string;
}

const ENDINGS = new Set(['completed', 'diverged', 'failed']);

/** Turns run updates into notices: one for each run seen training here that then ends (not for old runs, nor other processes'). */
export class Notices {
  private readonly active = new Set<number>();
  private readonly told = new Set<number>();

  /** `trainedHere`: the run is active and this process trains it (the caller knows who owns what). */
  take(run: RunSummary, trainedHere: boolean): Notice | null {
    if (run.status === 'running' || run.status === 'queued') {
      if (trainedHere) this.active.add(run.id);
      return null;
    }
    if (!this.active.has(run.id) || this.told.has(run.id) || !ENDINGS.has(run.status)) return null;
    this.active.delete(run.id);
    this.told.add(run.id);
    const name = `Run #${run.id} (VGG ${run.config})`;
    if (run.status === 'completed') return { runId: run.id, title: `${name} finished`, body: `${run.epoch} epochs · val top-1 ${pct(run.valTop1)}${run.bestValTop1 !== null ? ` (best ${pct(run.bestValTop1)})` : ''}` };
    if (run.status === 'diverged') return { runId: run.id, title: `${name} diverged`, body: `at epoch ${run.epoch}: the loss is no longer finite; try a lower learning rate` };
    return { runId: run.id, title: `${name} failed`, body: run.error ?? 'see the run page' };
  }
}

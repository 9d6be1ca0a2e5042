// Where a run trains, as the run service sees it: on this machine's scheduler (local-placement.ts)
// or on a queue that other machines' workers take from (cluster/desktop/placement.ts, which implements this
// port from above the services). The run service picks one by the run's `placement` and holds
// everything the two share: reading runs, the checks before a start or a resume, deleting, waiting.
import type { Placement, RunDetail, RunStatus, TrainParams } from '../../shared/domain';
import type { CheckpointRow } from '../store/checkpoints';

/** What a placement tells the run service. */
export interface RunHooks {
  /** The run's row changed (the UI is told). */
  publish(id: number): void;
  /** The run reached a final state (whoever waits on it is told). */
  settle(id: number, status: RunStatus): void;
}

export interface RunPlacement {
  readonly name: Placement;
  /** Records the run (its parameters already checked) and queues it. */
  start(params: TrainParams): Promise<{ id: number }>;
  /** Queues a resumable run again from checkpoint `ck` (null: from its first step); refused, changing nothing, where another process holds it. */
  resume(run: RunDetail, ck: CheckpointRow | null): Promise<void>;
  /** Holds a running run between steps, or lets it go on. */
  pause(run: RunDetail, on: boolean): { id: number; paused: boolean } | Promise<{ id: number; paused: boolean }>;
  /** Stops a run: a queued one at once, a training one after a checkpoint. */
  stop(run: RunDetail): { id: number; status: string } | Promise<{ id: number; status: string }>;
  /** Removes what a deleted run left beyond its rows and its folder in the data folder. */
  forget(run: RunDetail): void;
  /** Looks for the run's end where another process may record it; returns the end of the watch. */
  watchEnd?(id: number, ended: (status: RunStatus) => void): () => void;
}

// Turns a worker's message stream into database rows (batched) and contract events.
import fs from 'node:fs';
import type { Db } from '../store/db';
import { insertCheckpoint, pruneCheckpoints } from '../store/checkpoints';
import { insertEvent, insertMetrics } from '../store/metrics';
import { getRun, markFinished, markStarted, updateProgress } from '../store/runs';
import type { FromWorker } from '../training/messages';
import type { MetricPoint } from '../../shared/domain';
import type { EventBus } from './bus';

const FLUSH_MS = 200;
/** Newest checkpoints kept per run, besides the best one. */
export const KEEP_CHECKPOINTS = 3;

export class Recorder {
  private buffer: MetricPoint[] = [];
  private timer: NodeJS.Timeout | null = null;
  private epochs: number | undefined;
  private lost = false;
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly runId: number,
    /** Whether this process still holds the run: only its owner writes its rows and prunes its checkpoints. */
    private readonly stillHolds: () => boolean,
    /** Called once if another process has taken the run over (this one was judged gone). */
    private readonly onLost: () => void,
  ) {}

  /** Whether this process still holds the run; once it does not, nothing more is written. */
  private holding(): boolean {
    if (this.lost) return false;
    if (this.stillHolds()) return true;
    this.lost = true;
    this.buffer = [];
    this.onLost();
    return false;
  }

  handle(msg: FromWorker): void {
    const { db, bus, runId } = this;
    if (msg.type !== 'metrics' && msg.type !== 'progress' && !this.holding()) return;
    switch (msg.type) {
      case 'started':
        markStarted(db, runId, msg.backend, msg.device);
        this.publishRun();
        break;
      case 'metrics':
        this.buffer.push(...msg.points);
        this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
        break;
      case 'event': {
        this.flush();
        const event = insertEvent(db, runId, msg.event);
        if (event) bus.emit('run.event', { runId, event });
        break;
      }
      case 'progress': {
        // A run's epoch count never changes: read it once, not on every progress message.
        this.epochs ??= getRun(db, runId)?.epochs ?? 0;
        bus.emit('run.progress', { runId, epoch: msg.epoch, epochs: this.epochs, step: msg.step, stepInEpoch: msg.stepInEpoch, stepsPerEpoch: msg.stepsPerEpoch, imagesPerSec: msg.imagesPerSec, lr: msg.lr });
        if (msg.stepInEpoch === msg.stepsPerEpoch && this.holding()) {
          this.flush();
          updateProgress(db, runId, msg.epoch, msg.step);
          this.publishRun();
        }
        break;
      }
      case 'log':
        if (msg.level !== 'info') {
          const run = getRun(db, runId);
          const event = insertEvent(db, runId, { step: run?.step ?? 0, epoch: run?.epoch ?? 0, kind: msg.level === 'warn' ? 'warning' : 'note', payload: { message: msg.message } });
          if (event) bus.emit('run.event', { runId, event });
        }
        break;
      case 'checkpoint': {
        this.flush();
        insertCheckpoint(db, { runId, epoch: msg.epoch, step: msg.step, kind: msg.kind, path: msg.file, sha256: msg.sha256, valTop1: msg.valTop1 });
        for (const old of pruneCheckpoints(db, runId, KEEP_CHECKPOINTS)) fs.rmSync(old.path, { force: true });
        const event = insertEvent(db, runId, { step: msg.step, epoch: msg.epoch, kind: 'checkpoint', payload: { kind: msg.kind, file: msg.file } });
        if (event) bus.emit('run.event', { runId, event });
        break;
      }
      case 'done':
        this.flush();
        markFinished(db, runId, msg.status, msg.result, msg.error);
        this.publishRun();
        break;
    }
  }

  /** Writes buffered points in one transaction and re-broadcasts them. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer.length || !this.holding()) return;
    const points = this.buffer;
    this.buffer = [];
    insertMetrics(this.db, this.runId, points);
    this.bus.emit('run.metrics', { runId: this.runId, points });
  }

  private publishRun(): void {
    const run = getRun(this.db, this.runId);
    if (run) {
      const { params: _p, appVersion: _v, summary: _r, ...summary } = run;
      this.bus.emit('run.updated', summary);
    }
  }
}

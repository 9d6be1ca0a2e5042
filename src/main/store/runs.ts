// Queries and mutations on runs and experiments.
import type { Db } from './db';
import type { Owner } from './owners';
import type { BackendChoice, ConfigName, Placement, RunDetail, RunResult, RunStatus, RunSummary, TrainParams } from '../../shared/domain';

interface RunRow {
  id: number;
  config: string;
  experiment: string | null;
  dataset: string;
  params_json: string;
  status: string;
  backend: string | null;
  device: string | null;
  seed: number;
  epoch: number;
  epochs: number;
  step: number;
  summary_json: string | null;
  error: string | null;
  app_version: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  tags: string;
  notes: string;
  val_top1: number | null;
  placement: string;
  worker: string | null;
  lr: number;
  batch: number;
  width: number;
  input_size: number;
  scale: string | null;
  best_val_top1: number | null;
  eval_protocol: string | null;
  eval_top1: number | null;
  eval_top5: number | null;
}

/** What the runs table shows beyond the row's own columns: parameters, the best validation, the latest evaluation. */
const DERIVED = `e.name AS experiment, json_extract(r.summary_json, '$.val.top1') AS val_top1,
  json_extract(r.params_json, '$.lr') AS lr, json_extract(r.params_json, '$.batch') AS batch, json_extract(r.params_json, '$.width') AS width,
  json_extract(r.params_json, '$.inputSize') AS input_size, json_extract(r.params_json, '$.scale') AS scale,
  (SELECT max(m.value) FROM metrics m WHERE m.run_id = r.id AND m.split = 'val' AND m.name = 'top1') AS best_val_top1,
  ev.protocol AS eval_protocol, ev.top1_error AS eval_top1, ev.top5_error AS eval_top5`;
const JOINS = `runs r LEFT JOIN experiments e ON e.id = r.experiment_id
  LEFT JOIN evaluations ev ON ev.id = (SELECT max(x.id) FROM evaluations x WHERE x.run_id = r.id)`;
const LIST_COLS = `r.id, r.config, r.dataset, r.status, r.backend, r.device, r.epoch, r.epochs, r.step, r.error, r.tags, r.notes,
  r.created_at, r.started_at, r.ended_at, r.placement, r.worker, r.seed, ${DERIVED}`;
const SELECT = `SELECT r.*, ${DERIVED} FROM ${JOINS}`;
const now = () => new Date().toISOString();

function toSummary(r: Omit<RunRow, 'params_json' | 'summary_json' | 'app_version'>): RunSummary {
  return {
    id: r.id,
    config: r.config as ConfigName,
    experiment: r.experiment,
    dataset: r.dataset,
    status: r.status as RunStatus,
    backend: r.backend,
    device: r.device,
    epoch: r.epoch,
    epochs: r.epochs,
    step: r.step,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    error: r.error,
    valTop1: r.val_top1,
    tags: r.tags ? r.tags.split(',') : [],
    notes: r.notes,
    placement: r.placement as Placement,
    worker: r.worker,
    lr: r.lr,
    batch: r.batch,
    width: r.width,
    inputSize: r.input_size,
    scale: r.scale,
    seed: r.seed,
    bestValTop1: r.best_val_top1,
    evaluation: r.eval_protocol === null ? null : { protocol: r.eval_protocol, top1Error: r.eval_top1, top5Error: r.eval_top5 },
  };
}

/** Every run, newest first, without the heavy columns (parameters, full summary). */
export function listRuns(db: Db, limit = -1): RunSummary[] {
  return (db.prepare(`SELECT ${LIST_COLS} FROM ${JOINS} ORDER BY r.id DESC LIMIT ?`).all(limit) as RunRow[]).map(toSummary);
}

export function getRun(db: Db, id: number): RunDetail | undefined {
  const row = db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
  if (!row) return undefined;
  return {
    ...toSummary(row),
    summary: row.summary_json ? (JSON.parse(row.summary_json) as RunResult) : null,
    params: JSON.parse(row.params_json) as TrainParams,
    seed: row.seed,
    appVersion: row.app_version,
  };
}

function experimentId(db: Db, name: string | undefined): number | null {
  if (!name) return null;
  db.prepare('INSERT INTO experiments (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, now());
  return (db.prepare('SELECT id FROM experiments WHERE name = ?').get(name) as { id: number }).id;
}

/**
 * Records a new run, queued and owned by `owner` from its first moment; a cluster run (owner null)
 * is held by the queue instead, and its rows come from its worker's event stream.
 */
export function insertRun(db: Db, params: TrainParams, appVersion: string, owner: Owner | null): number {
  return db.transaction(() => {
    const exp = experimentId(db, params.experiment);
    const at = now();
    const res = db
      .prepare(
        `INSERT INTO runs (experiment_id, config, dataset, params_json, status, seed, epochs, app_version, created_at, owner_pid, owner_host, owner_since, heartbeat_at, placement)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(exp, params.config, params.dataset, JSON.stringify(params), params.seed, params.epochs, appVersion, at, owner?.pid ?? null, owner?.host ?? null, owner?.since ?? null, owner ? at : null, owner ? 'local' : 'cluster');
    return Number(res.lastInsertRowid);
  })();
}

/** The backend a run asks for from now on (a resume on another backend): part of its parameters. */
export function setRunBackend(db: Db, id: number, backend: BackendChoice): void {
  const row = db.prepare('SELECT params_json FROM runs WHERE id = ?').pluck().get(id) as string;
  db.prepare('UPDATE runs SET params_json = ? WHERE id = ?').run(JSON.stringify({ ...(JSON.parse(row) as TrainParams), backend }), id);
}

export function markStarted(db: Db, id: number, backend: string, device: string): void {
  db.prepare(`UPDATE runs SET status = 'running', backend = ?, device = ?, started_at = COALESCE(started_at, ?), error = NULL, ended_at = NULL WHERE id = ?`).run(
    backend,
    device,
    now(),
    id,
  );
}

export function updateProgress(db: Db, id: number, epoch: number, step: number): void {
  db.prepare('UPDATE runs SET epoch = ?, step = ? WHERE id = ?').run(epoch, step, id);
}

export function markFinished(db: Db, id: number, status: RunStatus, summary: RunResult | null, error: string | null): void {
  db.prepare('UPDATE runs SET status = ?, summary_json = COALESCE(?, summary_json), error = ?, ended_at = ? WHERE id = ?').run(
    status,
    summary ? JSON.stringify(summary) : null,
    error,
    now(),
    id,
  );
}

export function annotateRun(db: Db, id: number, tags: string[] | undefined, notes: string | undefined): void {
  if (tags !== undefined) db.prepare('UPDATE runs SET tags = ? WHERE id = ?').run([...new Set(tags.map((t) => t.trim()))].join(','), id);
  if (notes !== undefined) db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(notes, id);
}

/** Deletes a run and, by cascade, its metrics, events, checkpoints and evaluations. */
export function deleteRun(db: Db, id: number): void {
  db.transaction(() => {
    // Fusions that name the run lose their meaning with it.
    db.prepare('DELETE FROM evaluations WHERE run_id IS NULL AND EXISTS (SELECT 1 FROM json_each(members_json) WHERE value = ?)').run(id);
    db.prepare('DELETE FROM runs WHERE id = ?').run(id);
  })();
}

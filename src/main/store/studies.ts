// Queries and mutations on studies and the runs each is made of.
import type { ConfigName, RunStatus, TrainParams } from '../../shared/domain';
import type { Db } from './db';

/** What a study was asked: the parameters every run shares, the configurations and the seeds. */
export interface StudySpec {
  base: Omit<TrainParams, 'config' | 'init' | 'scale'>;
  configs: ConfigName[];
  seeds: number;
}

export interface StudyRow {
  id: number;
  experiment: string;
  spec: StudySpec;
  createdAt: string;
  cancelledAt: string | null;
}

export interface StudyRunRow {
  position: number;
  runId: number;
  row: string;
  seed: number;
  status: RunStatus;
  config: ConfigName;
  epoch: number;
  epochs: number;
  startedAt: string | null;
  endedAt: string | null;
  params: TrainParams;
  /** Validation top-1 of each epoch so far, in order. */
  valTop1: number | null;
}

const now = () => new Date().toISOString();
const SELECT = 'SELECT s.id, e.name AS experiment, s.spec_json, s.created_at, s.cancelled_at FROM studies s JOIN experiments e ON e.id = s.experiment_id';
type Raw = { id: number; experiment: string; spec_json: string; created_at: string; cancelled_at: string | null };
const toStudy = (r: Raw): StudyRow => ({ id: r.id, experiment: r.experiment, spec: JSON.parse(r.spec_json) as StudySpec, createdAt: r.created_at, cancelledAt: r.cancelled_at });

/** Records the study under its experiment (made here if new); an experiment holds at most one study. */
export function insertStudy(db: Db, experiment: string, spec: StudySpec): number {
  return db.transaction(() => {
    db.prepare('INSERT INTO experiments (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(experiment, now());
    const exp = db.prepare('SELECT id FROM experiments WHERE name = ?').pluck().get(experiment) as number;
    return Number(db.prepare('INSERT INTO studies (experiment_id, spec_json, created_at) VALUES (?, ?, ?)').run(exp, JSON.stringify(spec), now()).lastInsertRowid);
  })();
}

export function addStudyRun(db: Db, studyId: number, position: number, runId: number, row: string, seed: number): void {
  db.prepare('INSERT INTO study_runs (study_id, position, run_id, row, seed) VALUES (?, ?, ?, ?, ?)').run(studyId, position, runId, row, seed);
}

export function getStudy(db: Db, id: number): StudyRow | undefined {
  const r = db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as Raw | undefined;
  return r && toStudy(r);
}

/** Newest first. */
export function listStudies(db: Db): StudyRow[] {
  return (db.prepare(`${SELECT} ORDER BY s.id DESC`).all() as Raw[]).map(toStudy);
}

/** The study's runs in the order they were queued (each after the run its weights start from). */
export function studyRuns(db: Db, studyId: number): StudyRunRow[] {
  const rows = db
    .prepare(
      `SELECT sr.position, sr.run_id, sr.row, sr.seed, r.status, r.config, r.epoch, r.epochs, r.started_at, r.ended_at, r.params_json,
         (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.split = 'val' AND m.name = 'top1' ORDER BY m.step DESC LIMIT 1) AS val_top1
       FROM study_runs sr JOIN runs r ON r.id = sr.run_id WHERE sr.study_id = ? ORDER BY sr.position`,
    )
    .all(studyId) as { position: number; run_id: number; row: string; seed: number; status: RunStatus; config: ConfigName; epoch: number; epochs: number; started_at: string | null; ended_at: string | null; params_json: string; val_top1: number | null }[];
  return rows.map((r) => ({ position: r.position, runId: r.run_id, row: r.row, seed: r.seed, status: r.status, config: r.config, epoch: r.epoch, epochs: r.epochs, startedAt: r.started_at, endedAt: r.ended_at, params: JSON.parse(r.params_json) as TrainParams, valTop1: r.val_top1 }));
}

export function setStudyCancelled(db: Db, id: number, cancelled: boolean): void {
  db.prepare('UPDATE studies SET cancelled_at = ? WHERE id = ?').run(cancelled ? now() : null, id);
}

/** The study a run belongs to, if any. */
export function studyOfRun(db: Db, runId: number): number | undefined {
  return db.prepare('SELECT study_id FROM study_runs WHERE run_id = ?').pluck().get(runId) as number | undefined;
}

// Evaluation rows: one per (run or fused set, protocol, scales).
import type { Db } from './db';
import type { EvaluationInfo } from '../../shared/domain';

interface Row {
  id: number;
  run_id: number | null;
  members_json: string;
  protocol: string;
  scales_json: string;
  top1_error: number | null;
  top5_error: number | null;
  details_json: string;
  created_at: string;
}

const toInfo = (r: Row): EvaluationInfo => ({
  id: r.id,
  runId: r.run_id,
  members: JSON.parse(r.members_json) as number[],
  protocol: r.protocol,
  scales: JSON.parse(r.scales_json) as number[],
  top1Error: r.top1_error,
  top5Error: r.top5_error,
  details: JSON.parse(r.details_json) as EvaluationInfo['details'],
  createdAt: r.created_at,
});

export function insertEvaluation(db: Db, e: Omit<EvaluationInfo, 'id' | 'createdAt'>): EvaluationInfo {
  const createdAt = new Date().toISOString();
  const id = Number(
    db
      .prepare('INSERT INTO evaluations (run_id, members_json, protocol, scales_json, top1_error, top5_error, details_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.runId, JSON.stringify(e.members), e.protocol, JSON.stringify(e.scales), e.top1Error, e.top5Error, JSON.stringify(e.details), createdAt).lastInsertRowid,
  );
  return { ...e, id, createdAt };
}

export function listEvaluations(db: Db, runId?: number): EvaluationInfo[] {
  const rows = (runId === undefined
    ? db.prepare('SELECT * FROM evaluations ORDER BY id').all()
    : db.prepare("SELECT * FROM evaluations WHERE run_id = ? OR EXISTS (SELECT 1 FROM json_each(members_json) WHERE value = ?) ORDER BY id").all(runId, runId)) as Row[];
  return rows.map(toInfo);
}

// Registered datasets: scanned once, then named in run specs.
import type { Db } from './db';
import type { DatasetInfo } from '../../shared/domain';

interface Row {
  id: number;
  name: string;
  kind: string;
  path: string;
  classes_json: string;
  counts_json: string;
  fingerprint: string;
  mean_rgb_json: string | null;
  eigen_json: string | null;
  created_at: string;
}

const toInfo = (r: Row): DatasetInfo => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  path: r.path,
  spec: `${r.kind}:${r.path}`,
  classes: JSON.parse(r.classes_json) as string[],
  counts: JSON.parse(r.counts_json) as DatasetInfo['counts'],
  fingerprint: r.fingerprint,
  meanRgb: r.mean_rgb_json ? (JSON.parse(r.mean_rgb_json) as [number, number, number]) : null,
  eigen: r.eigen_json ? (JSON.parse(r.eigen_json) as DatasetInfo['eigen']) : null,
  createdAt: r.created_at,
});

export function insertDataset(db: Db, d: Omit<DatasetInfo, 'id' | 'createdAt' | 'spec'>): DatasetInfo {
  const createdAt = new Date().toISOString();
  const id = Number(
    db
      .prepare('INSERT INTO datasets (name, kind, path, classes_json, counts_json, fingerprint, mean_rgb_json, eigen_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(d.name, d.kind, d.path, JSON.stringify(d.classes), JSON.stringify(d.counts), d.fingerprint, JSON.stringify(d.meanRgb), JSON.stringify(d.eigen), createdAt).lastInsertRowid,
  );
  return { ...d, id, createdAt, spec: `${d.kind}:${d.path}` };
}

export function listDatasets(db: Db): DatasetInfo[] {
  return (db.prepare('SELECT * FROM datasets ORDER BY name').all() as Row[]).map(toInfo);
}

export function findDataset(db: Db, name: string): DatasetInfo | undefined {
  const r = db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as Row | undefined;
  return r ? toInfo(r) : undefined;
}

// Exports of recorded runs: tidy CSV of every metric point, whole runs as JSON, and the
// comparison table as Markdown or LaTeX.
import { stringify } from 'csv-stringify/sync';
import type { EvaluationInfo, RunDetail } from '../../shared/domain';
import type { Db } from '../store/db';
import { listCheckpoints } from '../store/checkpoints';
import { listEvaluations } from '../store/evaluations';
import { listEvents, listMetrics } from '../store/metrics';
import { compareRows, renderCompare } from './compare';

import type { ExportFormat } from '../../shared/output-formats';
export type { ExportFormat } from '../../shared/output-formats';

export function exportRuns(db: Db, runs: RunDetail[], format: ExportFormat): string {
  const ids = new Set(runs.map((r) => r.id));
  const evals: EvaluationInfo[] = listEvaluations(db).filter((e) => (e.runId !== null && ids.has(e.runId)) || (e.runId === null && e.members.every((m) => ids.has(m))));
  switch (format) {
    case 'csv': {
      const rows: (string | number)[][] = [['run', 'config', 'epoch', 'step', 'split', 'metric', 'value']];
      for (const run of runs) for (const p of listMetrics(db, run.id)) rows.push([run.id, run.config, p.epoch, p.step, p.split, p.name, Number.isFinite(p.value) ? p.value : '']);
      return stringify(rows);
    }
    case 'json':
      return JSON.stringify(
        {
          exportedAt: new Date().toISOString(),
          runs: runs.map((run) => ({
            ...run,
            metrics: listMetrics(db, run.id).map((p) => ({ ...p, value: Number.isFinite(p.value) ? p.value : null })),
            events: listEvents(db, run.id),
            evaluations: evals.filter((e) => e.runId === run.id),
            checkpoints: listCheckpoints(db, run.id),
          })),
          fusions: evals.filter((e) => e.runId === null),
        },
        null,
        1,
      );
    case 'md':
    case 'latex':
      return renderCompare(compareRows(runs, evals, { paper: true }), format) + '\n';
  }
}

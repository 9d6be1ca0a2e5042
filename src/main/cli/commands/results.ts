// Results: eval (the paper's protocols, fusion), compare (tables beside the paper's), export.
import fs from 'node:fs';
import path from 'node:path';
import type { CheckpointChoice, EvaluationInfo, ProtocolName } from '../../../shared/domain';
import { compareRows, renderCompare, type CompareFormat } from '../../services/compare';
import { exportRuns, type ExportFormat } from '../../services/export';
import { pct, weightsLabel } from '../../../shared/format';
import { UsageError } from '../options';
import { call, openApp, printJson, type Globals } from './common';

function evalJson(e: EvaluationInfo) {
  return {
    evaluationId: e.id, runId: e.runId, members: e.members, protocol: e.protocol, scales: e.scales, checkpoint: e.details.checkpoint, split: e.details.split,
    top1Error: e.top1Error, top5Error: e.top5Error, count: e.details.count, perClassAccuracy: e.details.perClassAccuracy, confusion: e.details.confusion, confidentMistakes: e.details.confidentMistakes,
  };
}

export async function evalCommand(g: Globals, ids: number[], opts: { protocol: ProtocolName; scales?: number[]; checkpoint: CheckpointChoice; json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    // Through the contract, as the Evaluate panel calls it: the same limits (at most 8 scales, …).
    const e = await call(app, 'evaluations.run', { ids, protocol: opts.protocol, scales: opts.scales, checkpoint: opts.checkpoint });
    if (opts.json) printJson(evalJson(e));
    else {
      const who = ids.length === 1 ? `run ${ids[0]}` : `fusion of runs ${ids.join(', ')}`;
      const ck = e.details.checkpoint!;
      console.log(`${who}: ${e.protocol} at Q = ${e.scales.join(', ')}, ${weightsLabel(ck, true)}, on ${e.details.count} ${e.details.split === 'test' ? 'test' : 'validation'} images | top-1 error ${pct(e.top1Error)} | top-5 error ${pct(e.top5Error)} | evaluation ${e.id}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

export async function compareCommand(g: Globals, ids: number[], opts: { format: CompareFormat; paper: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const runs = ids.map((id) => app.runs.get(id));
    const evals = app.evaluations.list().filter((e) => (e.runId !== null && ids.includes(e.runId)) || (e.runId === null && e.members.every((m) => ids.includes(m))));
    console.log(renderCompare(compareRows(runs, evals, { paper: opts.paper }), opts.format));
    return 0;
  } finally {
    await app.close();
  }
}

export async function exportCommand(g: Globals, ids: number[], opts: { all?: boolean; format: ExportFormat | 'tfjs'; out: string; json?: boolean }): Promise<number> {
  if (!opts.all && !ids.length) throw new UsageError('export: name one or more runs, or --all');
  if (opts.all && ids.length) throw new UsageError('export: give run ids or --all, not both');
  if (opts.format === 'tfjs' && (opts.all || ids.length !== 1)) throw new UsageError('export --format tfjs: name exactly one run; --out is then a folder');
  const app = openApp(g);
  try {
    if (opts.format === 'tfjs') {
      const { exportModel } = await import('../../services/model-export');
      const r = await exportModel(app.db, app.runs.get(ids[0]!), path.resolve(opts.out));
      if (opts.json) printJson({ runs: [ids[0]], format: 'tfjs', out: path.resolve(opts.out), files: [r.modelJson, r.weightsBin], bytes: r.bytes });
      else console.log(`exported run ${ids[0]}'s model to ${r.modelJson} and ${r.weightsBin} (${r.bytes} bytes of weights); load it with tf.loadLayersModel`);
      return 0;
    }
    const runs = opts.all ? app.runs.list().map((r) => app.runs.get(r.id)) : ids.map((id) => app.runs.get(id));
    if (!runs.length) throw new UsageError('export --all: there are no runs to export');
    const content = exportRuns(app.db, runs, opts.format);
    const out = path.resolve(opts.out);
    const tmp = `${out}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, out);
    if (opts.json) printJson({ runs: runs.map((r) => r.id), format: opts.format, out, files: [out], bytes: Buffer.byteLength(content) });
    else console.log(`exported ${runs.length} run(s) as ${opts.format} to ${out} (${content.length} bytes)`);
    return 0;
  } finally {
    await app.close();
  }
}

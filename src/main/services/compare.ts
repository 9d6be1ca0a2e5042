// The comparison table: one row per (run, evaluation), with the paper's matching rows beside them,
// rendered as a terminal table, Markdown, LaTeX, CSV or JSON.
import { stringify } from 'csv-stringify/sync';
import type { CompareRowInfo, EvaluationInfo, RunDetail } from '../../shared/domain';
import { matchingPaperRows, paperScaleOf, type PaperRow } from '../../shared/paper';
import { modelStats } from '../vgg/configs';
import { scaleRange, trainingScale } from '../training/scale';
import { weightsLabel } from '../../shared/format';

import type { CompareFormat } from '../../shared/output-formats';
export type { CompareFormat } from '../../shared/output-formats';

export type CompareRow = CompareRowInfo;

const COLUMNS: [keyof CompareRow, string][] = [
  ['run', 'run'],
  ['config', 'config'],
  ['params', 'params'],
  ['trainScale', 'S'],
  ['testScales', 'Q'],
  ['protocol', 'protocol'],
  ['weights', 'weights'],
  ['split', 'split'],
  ['top1Error', 'top-1 err %'],
  ['top5Error', 'top-5 err %'],
  ['epochs', 'epochs'],
  ['wallSeconds', 'wall s'],
  ['backend', 'backend/device'],
];

/**
 * A paper row as a table row. Epochs only where the paper gives them: its nets trained for 370K
 * iterations (74 epochs); the S = 384 and jittered nets were fine-tuned from S = 256 and S = 384 ones
 * for a number of epochs it does not state.
 */
function paperRow(p: PaperRow): CompareRow {
  return { source: 'paper', run: `paper ${p.table}`, config: p.configs, params: null, trainScale: p.trainScale === '256-512' ? '[256;512]' : p.trainScale, paperScale: p.trainScale, testScales: p.testScales === 'multi' ? 'multi' : 'single', protocol: p.protocol, weights: 'final', split: 'ILSVRC val', top1Error: p.top1Error, top5Error: p.top5Error, epochs: p.trainScale === '256' ? 74 : null, wallSeconds: null, backend: 'ImageNet, 4× Titan Black' };
}

export function compareRows(runs: RunDetail[], evals: EvaluationInfo[], opts: { paper: boolean }): CompareRow[] {
  const rows: CompareRow[] = [];
  const paperSeen = new Set<string>();
  /** Each paper row once, after the first of ours it matches. */
  const addPaper = (matches: PaperRow[]) => {
    for (const p of matches) {
      const key = `${p.table}/${p.configs}/${p.trainScale}/${p.protocol}/${p.testScales}`;
      if (paperSeen.has(key)) continue;
      paperSeen.add(key);
      rows.push(paperRow(p));
    }
  };
  for (const run of runs) {
    const params = modelStats({ config: run.config, inputSize: run.params.inputSize, width: run.params.width, classes: run.summary?.data.classes ?? 10, fcWidth: run.params.fcWidth }).params;
    const wall = run.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null;
    const paperScale = paperScaleOf(scaleRange(run.params), run.params.inputSize);
    const base = { source: 'run' as const, run: `#${run.id}`, config: run.config, params, trainScale: run.params.scale ?? String(trainingScale(run.params)), paperScale, epochs: run.summary?.epochs ?? run.epoch, wallSeconds: wall, backend: `${run.backend ?? '-'} (${run.device ?? '-'})` };
    const mine = evals.filter((e) => e.runId === run.id);
    if (!mine.length) {
      // No evaluation yet: the training run's own validation (center crop at S).
      const v = run.summary?.val;
      rows.push({ ...base, testScales: base.trainScale, protocol: 'validation', weights: 'per epoch', split: 'val', top1Error: v?.top1 == null ? null : 100 * (1 - v.top1), top5Error: v?.top5 == null ? null : 100 * (1 - v.top5) });
    }
    for (const e of mine) {
      rows.push({ ...base, testScales: e.scales.join(','), protocol: e.protocol, weights: weightsLabel(e.details.checkpoint), split: e.details.split ?? 'val', top1Error: e.top1Error === null ? null : 100 * e.top1Error, top5Error: e.top5Error === null ? null : 100 * e.top5Error });
      if (opts.paper) addPaper(matchingPaperRows([run.config], paperScale, e.scales.length > 1, e.protocol));
    }
  }
  // Fusions: one row per fused evaluation, naming its members.
  for (const e of evals.filter((x) => x.runId === null)) {
    const members = runs.filter((r) => e.members.includes(r.id));
    rows.push({ source: 'run', run: e.members.map((m) => `#${m}`).join('+'), config: members.map((r) => r.config).join('+'), params: null, trainScale: '-', paperScale: null, testScales: e.scales.join(','), protocol: `fusion ${e.protocol}`, weights: weightsLabel(e.details.checkpoint), split: e.details.split ?? 'val', top1Error: e.top1Error === null ? null : 100 * e.top1Error, top5Error: e.top5Error === null ? null : 100 * e.top5Error, epochs: null, wallSeconds: null, backend: '-' });
    // Table 6: the paper's fusion of D and E (both jittered), beside a fusion of the same configurations at the same kind of scale.
    const scales = new Set(members.map((r) => paperScaleOf(scaleRange(r.params), r.params.inputSize)));
    if (opts.paper && members.length === e.members.length && scales.size === 1)
      addPaper(matchingPaperRows(members.map((r) => r.config), [...scales][0]!, e.scales.length > 1, e.protocol));
  }
  return rows;
}

const cell = (row: CompareRow, key: keyof CompareRow): string => {
  const v = row[key];
  if (v === null || v === undefined) return '–';
  if (key === 'top1Error' || key === 'top5Error') return (v as number).toFixed(1);
  if (key === 'wallSeconds') return (v as number).toFixed(0);
  if (key === 'params') return (v as number).toLocaleString('en-US');
  return String(v);
};

const latexEscape = (s: string) => s.replace(/([\\&%$#_{}])/g, '\\$1').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');

export function renderCompare(rows: CompareRow[], format: CompareFormat): string {
  const headers = COLUMNS.map(([, h]) => h);
  const cells = rows.map((r) => COLUMNS.map(([k]) => cell(r, k)));
  switch (format) {
    case 'json':
      return JSON.stringify({ rows });
    case 'csv':
      return stringify([COLUMNS.map(([k]) => k), ...rows.map((r) => COLUMNS.map(([k]) => r[k] ?? ''))]).trimEnd();
    case 'md':
      return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
    case 'latex':
      return [
        `\\begin{tabular}{${'l'.repeat(8)}${'r'.repeat(4)}l}`,
        '\\hline',
        `${headers.map(latexEscape).join(' & ')} \\\\`,
        '\\hline',
        ...cells.map((c) => `${c.map(latexEscape).join(' & ')} \\\\`),
        '\\hline',
        '\\end{tabular}',
      ].join('\n');
    case 'table': {
      const all = [headers, ...cells];
      const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
      return all.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ')).join('\n');
    }
  }
}

// The paper study from the CLI: start it (and follow it to the end, evaluating each run as Table 3
// did), resume it, cancel it, list studies and show one with its table over the seeds.
import { type ArgsOf } from '../../../shared/contract';
import type { StudyFormat } from '../../../shared/output-formats';
import type { StudyInfo, StudyTableRow, FindingResult } from '../../../shared/study';
import type { App } from '../../app';
import { stringify } from 'csv-stringify/sync';
import { PAPER_ROWS } from '../../../shared/paper';
import { table } from '../format';
import { runFlags } from '../options';
import { call, openApp, printJson, type Globals } from './common';

export async function studyCommand(g: Globals, raw: Record<string, unknown>): Promise<number> {
  const app = openApp(g, 'cli');
  let id: number;
  try {
    const args = { params: runFlags(raw), seeds: raw.seeds, ...(raw.configs ? { configs: raw.configs } : {}) } as ArgsOf<'studies.start'>;
    ({ id } = await call(app, 'studies.start', args));
  } catch (err) {
    await app.close();
    throw err;
  }
  return follow(app, id, raw);
}

export async function studyResumeCommand(g: Globals, id: number, raw: Record<string, unknown>): Promise<number> {
  const app = openApp(g, 'cli');
  try {
    const { resumed } = await call(app, 'studies.resume', { id });
    if (!raw.json) process.stderr.write(`study ${id}: going on with run${resumed.length === 1 ? '' : 's'} ${resumed.map((r) => `#${r}`).join(' ')}\n`);
  } catch (err) {
    await app.close();
    throw err;
  }
  return follow(app, id, raw);
}

export async function studyCancelCommand(g: Globals, id: number, raw: { json?: boolean }): Promise<number> {
  const app = openApp(g, 'cli');
  try {
    const s = await call(app, 'studies.cancel', { id });
    if (raw.json) printJson(s);
    else console.log(`study ${id} cancelled: ${progressLine(s)}`);
    return 0;
  } finally {
    await app.close();
  }
}

export async function studiesCommand(g: Globals, raw: { json?: boolean }): Promise<number> {
  const app = openApp(g, 'cli');
  const list = app.studies.list();
  await app.close();
  if (raw.json) printJson({ studies: list });
  else if (!list.length) console.log('no studies yet: start one with `vgglab study --dataset fashion-mnist --seeds 3`');
  else console.log(table(['id', 'experiment', 'seeds', 'configs', 'progress'], list.map((s) => [s.id, s.experiment, s.seeds, s.configs.join(','), progressLine(s)])));
  return 0;
}

export async function studyShowCommand(g: Globals, id: number, raw: { json?: boolean; format?: StudyFormat }): Promise<number> {
  const app = openApp(g, 'cli');
  try {
    const s = app.studies.get(id);
    const t = app.studies.table(id);
    const format = raw.json ? 'json' : (raw.format ?? 'table');
    if (format === 'json') printJson({ ...s, table: t.rows, findings: t.findings });
    else if (format === 'csv') console.log(perSeedCsv(t.rows));
    else if (format === 'md') console.log(markdown(s, t.rows, t.findings));
    else printStudy(s, t.rows, t.findings);
    return 0;
  } finally {
    await app.close();
  }
}

/** Follows the study to its end (a line per finished run), evaluates its runs as Table 3 did unless --no-eval, prints the table. */
async function follow(app: App, id: number, raw: Record<string, unknown>): Promise<number> {
  const json = Boolean(raw.json);
  const say = (line: string) => json || process.stderr.write(`${line}\n`);
  const seen = new Set<number>();
  const off = app.bus.on('run.updated', (r) => {
    const s = app.studies.get(id);
    const mine = s.runs.find((x) => x.runId === r.id);
    if (!mine || ['queued', 'running'].includes(mine.status) || seen.has(mine.runId)) return;
    seen.add(mine.runId);
    say(`run #${mine.runId} ${mine.config} S ${mine.scale} seed ${mine.seed}: ${mine.status}${mine.valTop1 === null ? '' : `, val top-1 ${(100 * mine.valTop1).toFixed(1)}%`}${mine.atChance ? ' (at chance)' : ''} | ${progressLine(s)}`);
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\ncancelling study ${id}: the running run stops after a checkpoint (Ctrl-C again to abort); \`vgglab study resume ${id}\` goes on later\n`);
    void app.studies.cancel(id).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    let s = await app.studies.waitFor(id);
    off();
    if (raw.eval !== false && !interrupts) {
      await app.studies.evaluate(id, app.evaluations, (runId, i, n) => say(`evaluating run #${runId} as Table 3 did (${i + 1} of ${n})`));
      s = app.studies.get(id);
    }
    const t = app.studies.table(id);
    if (json) printJson({ ...s, table: t.rows, findings: t.findings });
    else printStudy(s, t.rows, t.findings);
    if (interrupts) return 130;
    return s.counts.failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await app.close();
  }
}

function progressLine(s: StudyInfo): string {
  const c = s.counts;
  const eta = s.etaSeconds === null ? '' : `, about ${Math.round(s.etaSeconds / 60)} min left`;
  return `${c.done}/${c.total} done, ${c.running} running, ${c.queued} queued${c.failed ? `, ${c.failed} failed` : ''}${c.stopped ? `, ${c.stopped} stopped` : ''}${eta}`;
}

const ms = (x: { mean: number; sd: number | null; n: number } | null) => (!x ? '–' : x.sd === null ? x.mean.toFixed(1) : `${x.mean.toFixed(1)} ± ${x.sd.toFixed(1)}`);

function printStudy(s: StudyInfo, rows: StudyTableRow[], findings: FindingResult[]): void {
  console.log(`study ${s.id} "${s.experiment}": ${s.seeds} seed(s), configurations ${s.configs.join(',')}; ${progressLine(s)}`);
  console.log(
    table(
      ['row', 'runs', 'seeds', 'Q', 'top-1 err %', 'top-5 err %', 'per seed (top-1)'],
      rows.map((r) => [
        `${r.config} S ${r.scale === '256-512' ? '[256;512]' : r.scale}`,
        r.figures.map((f) => `#${f.runId}`).join(' '),
        r.figures.length,
        r.evaluated ? `${r.figures[0]!.q} (${r.figures[0]!.split})` : 'training validation',
        ms(r.top1),
        ms(r.top5),
        r.figures.map((f) => (f.top1Error === null ? '–' : f.top1Error.toFixed(1))).join(' '),
      ]),
    ),
  );
  if (findings.length) {
    console.log('\nthe paper\'s findings (resolved: |difference| ≥ 2 standard errors):');
    console.log(table(['finding', 'difference', 'se', 'verdict'], findings.map((f) => [f.name, f.diff.toFixed(2), f.se === null ? '–' : f.se.toFixed(2), f.verdict === 'not resolved' ? `not resolved at ${f.n} seed(s)` : f.verdict === 'agrees' ? 'agrees with the paper' : 'the opposite of the paper'])));
  }
}

/** One line per run: the row, its seed and its figures (what error bars are made of). */
function perSeedCsv(rows: StudyTableRow[]): string {
  const lines = rows.flatMap((r) => r.figures.map((f) => [r.row, r.config, r.scale, f.seed, f.runId, f.q ?? '', f.split ?? 'training validation', f.top1Error ?? '', f.top5Error ?? '']));
  return stringify([['row', 'config', 'scale', 'seed', 'run', 'q', 'split', 'top1_error_pct', 'top5_error_pct'], ...lines]).trimEnd();
}

/** Table 3 over the seeds and the findings, as Markdown (for a README or a paper's notes). */
function markdown(s: StudyInfo, rows: StudyTableRow[], findings: FindingResult[]): string {
  const paper = (r: StudyTableRow) => PAPER_ROWS.find((p) => p.table === 'Table 3' && p.configs === r.config && p.trainScale === r.scale);
  const out = [
    `| ConvNet config. | train S (paper's) | seeds | test Q | top-1 err % (mean ± sd) | per seed | paper top-1 | top-5 err % | paper top-5 |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.config} | ${r.scale === '256-512' ? '[256; 512]' : r.scale} | ${r.top1?.n ?? 0} | ${r.evaluated ? r.figures[0]!.q : 'validation'} | ${ms(r.top1)} | ${r.figures.map((f) => (f.top1Error === null ? '–' : f.top1Error.toFixed(1))).join(', ')} | ${paper(r)?.top1Error.toFixed(1) ?? '–'} | ${ms(r.top5)} | ${paper(r)?.top5Error.toFixed(1) ?? '–'} |`),
  ];
  if (findings.length)
    out.push('', '| finding | the paper | difference (points) | standard error | verdict |', '|---|---|---|---|---|', ...findings.map((f) => `| ${f.name} | ${f.paper} | ${f.diff > 0 ? '+' : ''}${f.diff.toFixed(2)} | ${f.se === null ? '–' : f.se.toFixed(2)} | ${f.verdict === 'not resolved' ? `not resolved at ${f.n} seeds` : f.verdict === 'agrees' ? 'agrees with the paper' : 'the opposite of the paper'} |`));
  return `${out.join('\n')}\n\n(${s.experiment}: ${s.seeds} seed(s); ${progressLine(s)})`;
}

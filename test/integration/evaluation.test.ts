// Evaluation, fusion and comparison on real trained runs, through the services and the CLI.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main/app';
import { trainingScale } from '../../src/main/training/scale';
import { repoRoot, tempDir, startRun } from '../helpers';

let app: App;
const dataDir = tempDir();
let a: number;
let b: number;
const tiny = { inputSize: 32, width: 0.0625, batch: 16, trainSamples: 128, valSamples: 64, epochs: 2 };

beforeAll(async () => {
  app = createApp({ dataDir });
  a = (await startRun(app, { ...tiny, config: 'A' })).id;
  b = (await startRun(app, { ...tiny, config: 'B' })).id;
  await Promise.all([app.runs.waitFor(a), app.runs.waitFor(b)]);
});
afterAll(() => app.close());

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 240_000 });

describe('evaluation', () => {
  it('records center, dense and multi-crop evaluations at several scales', async () => {
    for (const protocol of ['center', 'dense', 'multicrop', 'dense+multicrop'] as const) {
      const e = await app.evaluations.evaluate([a], protocol, [32, 40]);
      expect(e).toMatchObject({ runId: a, protocol, scales: [32, 40] });
      expect(e.top5Error!).toBeLessThanOrEqual(e.top1Error!);
      // Every error is a whole number of the 64 images.
      for (const err of [e.top1Error!, e.top5Error!]) expect(Math.abs(err * 64 - Math.round(err * 64))).toBeLessThan(1e-9);
      expect(e.details.count).toBe(64);
      expect(e.details.confusion.flat().reduce((x, y) => x + y, 0)).toBe(64);
      // VGG's own layers run in the native forward kernel where that backend evaluates, else through TF.js layers.
      expect(e.details.route).toBe(e.details.backend === 'native' ? 'whole-network native kernel' : 'TF.js layers');
    }
    expect(app.evaluations.list(a)).toHaveLength(4);
  });

  it('a centre crop at Q = S on the final weights scores the validation images as the last epoch’s validation did', async () => {
    for (const id of [a, b]) {
      const run = app.runs.get(id);
      const S = trainingScale(run.params);
      const e = await app.evaluations.evaluate([id], 'center', [S]);
      expect(e.details).toMatchObject({ split: 'val', checkpoint: { kind: 'last', epoch: 2 }, count: 64 });
      const lastVal = app.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND split = 'val' AND name = 'top1' ORDER BY step DESC LIMIT 1").pluck().get(id) as number;
      // The same weights, images, crop and forward pass; the two batch the images differently, so on
      // some CPU an image at a near-tie may fall the other way: at most one image of difference.
      expect(Math.abs(e.top1Error! - (1 - lastVal)) * e.details.count, `run ${id}: ${e.top1Error} against 1 - ${lastVal}`).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('fusing a run with itself gives that run’s numbers', async () => {
    const one = await app.evaluations.evaluate([a], 'center', [32]);
    const two = await app.evaluations.evaluate([a, a], 'center', [32]);
    expect(two.runId).toBeNull();
    expect(two.members).toEqual([a, a]);
    expect(two.top1Error).toBeCloseTo(one.top1Error!, 10);
    expect(two.top5Error).toBeCloseTo(one.top5Error!, 10);
  });

  it('refuses a test scale below the crop size, naming it', async () => {
    await expect(app.evaluations.evaluate([a], 'center', [16])).rejects.toMatchObject({ issues: [{ field: 'scales', message: expect.stringMatching(/^16 is below the input size 32/) }] });
  });

  it('eval --json and fuse --json print the errors as the last line', () => {
    const e = cli('eval', String(b), '--protocol', 'dense', '--scales', '32,36', '--json');
    expect(e.status, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout.trim().split('\n').at(-1)!);
    expect(j).toMatchObject({ runId: b, protocol: 'dense', scales: [32, 36], checkpoint: { kind: 'last', epoch: 2 }, split: 'val', top1Error: expect.any(Number), top5Error: expect.any(Number) });
    const f = cli('fuse', String(a), String(b), '--json');
    expect(f.status, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout.trim().split('\n').at(-1)!)).toMatchObject({ runId: null, members: [a, b] });
  });

  it('scores the final weights by default with the paper’s dense protocol and scales; --checkpoint picks others, recorded with the split', () => {
    // Default: dense, final weights; S = 32 for the built-in data at 32 px, and d = 32·32/224 ≈ 5, so {S−5, S, S+5} keeps {32, 37}.
    const d = cli('eval', String(a), '--json');
    expect(d.status, d.stderr).toBe(0);
    const j = JSON.parse(d.stdout.trim().split('\n').at(-1)!);
    expect(j).toMatchObject({ protocol: 'dense', scales: [32, 37], checkpoint: { kind: 'last', epoch: 2 }, split: 'val' });
    const best = JSON.parse(cli('eval', String(a), '--checkpoint', 'best', '--protocol', 'center', '--json').stdout.trim().split('\n').at(-1)!);
    const bestEpoch = app.db.prepare("SELECT epoch FROM checkpoints WHERE run_id = ? AND kind = 'best' ORDER BY step DESC LIMIT 1").pluck().get(a);
    expect(best.checkpoint).toEqual({ kind: 'best', epoch: bestEpoch });
    const first = JSON.parse(cli('eval', String(a), '--checkpoint', '1', '--protocol', 'center', '--json').stdout.trim().split('\n').at(-1)!);
    expect(first.checkpoint).toEqual({ kind: 'epoch', epoch: 1 });
    // The human line says which weights and which split.
    expect(cli('eval', String(a), '--protocol', 'center').stdout).toMatch(/final weights \(epoch 2\), on 64 validation images/);
    const bad = cli('eval', String(a), '--checkpoint', '9');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--checkpoint: run \d+ keeps checkpoints of epochs 1, 2 .*not 9; accepted: last, best, or one of those epochs/);
    // The CLI calls the contract as the Evaluate panel does: the same limits hold.
    const many = cli('eval', String(a), '--scales', '32,36,40,44,48,52,56,60,64');
    expect(many.status).toBe(2);
    expect(many.stderr).toContain('--scales: at most 8 test scales');
    const worse = cli('eval', String(a), '--checkpoint', 'newest');
    expect(worse.status).toBe(2);
    expect(worse.stderr).toMatch(/--checkpoint newest: accepted: last \(the final weights\), best \(best on validation\) or an epoch number/);
  });

  it('compare renders Markdown and LaTeX tables with one row per evaluation, and CSV and JSON', () => {
    const evals = app.evaluations.list().filter((e) => e.runId === a || e.runId === b);
    const md = cli('compare', String(a), String(b), '--format', 'md', '--no-paper');
    expect(md.status, md.stderr).toBe(0);
    const mdRows = md.stdout.trim().split('\n');
    expect(mdRows[0]).toBe('| run | config | params | S | Q | protocol | weights | split | top-1 err % | top-5 err % | epochs | wall s | backend/device |');
    const body = mdRows.slice(2).map((r) => r.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '')));
    // One row per single-run evaluation, plus the fusion row(s).
    expect(body.filter((c) => c[0] === `#${a}` || c[0] === `#${b}`)).toHaveLength(evals.length);
    expect(body.every((c) => c.length === 13)).toBe(true);
    const tex = cli('compare', String(a), String(b), '--format', 'latex', '--no-paper').stdout.trim().split('\n');
    expect(tex[0]).toMatch(/^\\begin\{tabular\}\{l{8}r{4}l\}$/);
    expect(tex.at(-1)).toBe('\\end{tabular}');
    const texRows = tex.filter((l) => l.endsWith('\\\\')).slice(1);
    expect(texRows.length).toBe(body.length);
    expect(texRows.every((l) => l.split(' & ').length === 13)).toBe(true);
    const csv = cli('compare', String(a), '--format', 'csv').stdout.trim().split('\n');
    expect(csv[0]).toBe('run,config,params,trainScale,testScales,protocol,weights,split,top1Error,top5Error,epochs,wallSeconds,backend');
    const json = JSON.parse(cli('compare', String(a), String(b), '--format', 'json').stdout);
    expect(json.rows.length).toBeGreaterThanOrEqual(evals.length);
  });

  it('shows the paper’s rows beside matching ones (same config, fixed S, multi-scale dense)', () => {
    const out = cli('compare', String(b), '--format', 'md').stdout;
    // B, fixed S, several test scales, dense: Table 4 has B at 28.2 / 9.6.
    expect(out).toMatch(/\| paper Table 4 \| B \| – \| 256 \| multi \| dense \| final \| ILSVRC val \| 28\.2 \| 9\.6 \|/);
  });
});

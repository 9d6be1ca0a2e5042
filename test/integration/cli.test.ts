// The CLI contract as headless users rely on it: exact flags, JSON last lines, exit codes.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeImageFolder, makeMnist } from '../fixtures/datasets';
import { listBackends } from '../../src/main/training/backends';
import { skipNote, tempDir } from '../helpers';
import { vgglabInProcess, vgglabSync } from '../cli-process';
import { need } from '../require';

const dataDir = tempDir();
const nativeInfo = (await listBackends(['native']))[0]!;
const nativeReady = !need('native', nativeInfo.available ? null : nativeInfo.reason);
const vgglab = (...args: string[]) => vgglabSync(dataDir, args);
const vgglabEnv = (env: NodeJS.ProcessEnv, ...args: string[]) => vgglabSync(dataDir, args, env);

describe('vgglab CLI', () => {
  it('models --json lists all six configurations with the paper’s parameter counts', () => {
    const r = vgglab('models', '--json');
    expect(r.code).toBe(0);
    expect(r.json.models.map((m: { config: string; params: number }) => [m.config, m.params])).toEqual([
      ['A', 132863336], ['A-LRN', 132863336], ['B', 133047848], ['C', 133638952], ['D', 138357544], ['E', 143667240],
    ]);
  });

  it('exits 2 on bad usage, naming the flag and the accepted values', async () => {
    // The exit code through a real process; the wording of each refusal through the CLI's main().
    const real = vgglab('train', '--config', 'F');
    expect(real.code).toBe(2);
    expect(real.stderr).toMatch(/--config.*Allowed choices are A, A-LRN, B, C, D, E/);
    const cli = (...args: string[]) => vgglabInProcess(dataDir, args);
    const b = await cli('train', '--config', 'A', '--input-size', '100');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--input-size.*multiple of 32/);
    const c = await cli('train', '--config', 'A', '--schedule', 'sometimes');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--schedule: accepted: plateau, none, step:E1,E2/);
    const d = await cli('models', '--width', '0');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--width: accepted: more than 0 to 4/);
    // A refusal from the service names the field; the CLI phrases it with the flag.
    const e = await cli('train', '--config', 'A', '--scale', '48:32');
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('--scale: SMAX (32) must not be below SMIN (48)');
    const f = await cli('train', '--config', 'A', '--batch', '0', '--lr', 'fast');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--batch: accepted: whole numbers 1 to 4096; --lr: accepted: more than 0 to 10/);
    // Nothing was recorded by any of them.
    expect(vgglab('runs', '--json').json.runs).toEqual([]);
  });

  it('train --json prints the summary as the last line; runs --json lists it newest first', () => {
    const r = vgglab('train', '--config', 'A', '--width', '0.0625', '--epochs', '2', '--train-samples', '64', '--val-samples', '32', '--batch', '16', '--json');
    expect(r.code).toBe(0);
    for (const k of ['runId', 'status', 'config', 'backend', 'device', 'epochs', 'train', 'val', 'lrDrops', 'imagesPerSec', 'data']) expect(r.json).toHaveProperty(k);
    expect(r.json.status).toBe('completed');
    expect(r.json.val).toEqual({ loss: expect.any(Number), top1: expect.any(Number), top5: expect.any(Number) });
    expect(r.json.data).toEqual({ train: 64, val: 32, classes: 10, skipped: 0, flip: true });
    const runs = vgglab('runs', '--json');
    expect(runs.json.runs[0]).toMatchObject({ id: r.json.runId, config: 'A', status: 'completed', epoch: 2, epochs: 2 });
  });

  it('exits 1 when a run diverges', () => {
    const r = vgglab('train', '--config', 'A', '--width', '0.0625', '--epochs', '1', '--train-samples', '64', '--val-samples', '16', '--batch', '16', '--lr', '5', '--json');
    expect(r.code).toBe(1);
    expect(r.json.status).toBe('diverged');
  });

  it('MNIST: no flips by default (--flip/--no-flip override, recorded with the run), validation held out of train, evaluation on t10k', () => {
    const mnist = tempDir();
    makeMnist(mnist, 40);
    const base = ['train', '--config', 'A', '--width', '0.0625', '--epochs', '1', '--batch', '16', '--json'];
    const digits = vgglab(...base, '--dataset', `mnist:${mnist}`);
    expect(digits.code, digits.stderr).toBe(0);
    expect(digits.json.data.flip).toBe(false);
    // MNIST has its own test set: validation is a share of train (4 a class → 3 + 1), evaluation reports t10k.
    expect(digits.json.data).toMatchObject({ train: 30, val: 10 });
    const ev = vgglab('eval', String(digits.json.runId), '--protocol', 'center', '--json');
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.json).toMatchObject({ split: 'test', count: 10 });
    expect(vgglab('eval', String(digits.json.runId), '--protocol', 'center').stdout).toMatch(/on 10 test images/);
    const forced = vgglab(...base, '--dataset', `mnist:${mnist}`, '--flip');
    expect(forced.json.data.flip).toBe(true);
    const off = vgglab(...base, '--train-samples', '32', '--val-samples', '16', '--no-flip');
    expect(off.json.data.flip).toBe(false);
    expect(vgglab('show', String(off.json.runId), '--json').json.params.flip).toBe(false);
  });

  it.skipIf(!nativeReady)(`a forced backend is probed alone, and auto probes WebGPU in a child process: Dawn prints nothing on the terminal${skipNote(nativeReady ? null : 'the native backend is not built here')}`, () => {
    const r = vgglab('train', '--config', 'A', '--width', '0.0625', '--epochs', '1', '--train-samples', '32', '--val-samples', '16', '--batch', '16', '--backend', 'native', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.backend).toBe('native');
    expect(r.stderr).not.toMatch(/artificially reduced|Vulkan|Dawn/i);
    // With auto, every backend is probed, WebGPU in a child process: Dawn's messages stay there too
    // (unless auto picks WebGPU itself, which then starts in the run's worker).
    const auto = vgglab('train', '--config', 'A', '--width', '0.0625', '--epochs', '1', '--train-samples', '32', '--val-samples', '16', '--batch', '16', '--json');
    expect(auto.code, auto.stderr).toBe(0);
    if (auto.json.backend !== 'webgpu') expect(auto.stderr).not.toMatch(/artificially reduced|Vulkan|Dawn/i);
  });

  it('trains on an image folder, skipping and counting the broken files (workers run from the TypeScript, as where the build is stale)', async () => {
    const root = tempDir();
    await makeImageFolder(root, { perClass: 8, broken: true });
    const r = vgglabEnv({ VGGLAB_TSX_WORKERS: '1' }, 'train', '--config', 'A', '--dataset', `folder:${root}`, '--width', '0.0625', '--epochs', '1', '--batch', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.data).toMatchObject({ classes: 3, skipped: 3 });
    // cats 8 + 2 extra, dogs 8, owls 8 readable images.
    expect(r.json.data.train + r.json.data.val).toBe(26);
    const show = vgglab('show', String(r.json.runId), '--json');
    expect(show.json.events.some((e: { kind: string; payload: { message: string } }) => e.kind === 'warning' && /skipped 3 unreadable/.test(e.payload.message))).toBe(true);
  });

  it('refuses a missing dataset path with exit 1 and a message naming it', () => {
    const r = vgglab('train', '--config', 'A', '--dataset', 'folder:/nowhere/at/all', '--epochs', '1', '--json');
    expect(r.code).toBe(1);
    expect(r.json.error).toMatch(/folder:\/nowhere\/at\/all: no such folder/);
  });

  it('datasets add scans and registers a folder; runs can then name it', async () => {
    const root = tempDir();
    await makeImageFolder(root, { perClass: 6, broken: true });
    const add = vgglab('datasets', 'add', root, '--name', 'pets', '--json');
    expect(add.code, add.stderr).toBe(0);
    expect(add.json).toMatchObject({ name: 'pets', kind: 'folder', classes: ['cats', 'dogs', 'owls'], counts: { skipped: 3 } });
    expect(add.json.counts.train.reduce((a: number, b: number) => a + b, 0) + add.json.counts.val.reduce((a: number, b: number) => a + b, 0)).toBe(20);
    expect(add.json.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(add.json.eigen.eigenvalues[0]).toBeGreaterThanOrEqual(add.json.eigen.eigenvalues[1]);
    const again = vgglab('datasets', 'add', root, '--name', 'pets');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already registered/);
    expect(vgglab('datasets', '--json').json.datasets.map((d: { name: string }) => d.name)).toEqual(['pets']);
    const r = vgglab('train', '--config', 'A', '--dataset', 'pets', '--width', '0.0625', '--epochs', '1', '--batch', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.dataset).toBe(`folder:${root}`);
    expect(r.json.data.classes).toBe(3);
    const bad = vgglab('train', '--config', 'A', '--dataset', 'no-such-set', '--epochs', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/dataset 'no-such-set': not a registered dataset/);
  });
  it('offers a benchmark a system package installed (Fashion-MNIST) by name; a registered dataset of that name takes precedence', async () => {
    // Debian's dataset-fashion-mnist puts its IDX files in /usr/share/datasets/fashion-mnist; here a
    // folder of the same layout, found through VGGLAB_DATASETS_PATH.
    const roots = tempDir();
    makeMnist(path.join(roots, 'fashion-mnist'), 40);
    const env = { VGGLAB_DATASETS_PATH: roots };
    const listed = vgglabEnv(env, 'datasets', '--json');
    expect(listed.json.offered).toEqual([{ name: 'fashion-mnist', spec: `mnist:${path.join(roots, 'fashion-mnist')}`, about: expect.stringMatching(/^Fashion-MNIST/) }]);
    const r = vgglabEnv(env, 'train', '--config', 'A', '--dataset', 'fashion-mnist', '--width', '0.0625', '--epochs', '1', '--batch', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.dataset).toBe(`mnist:${path.join(roots, 'fashion-mnist')}`);
    // Without it installed, the name means nothing.
    const none = vgglabEnv({ VGGLAB_DATASETS_PATH: tempDir() }, 'datasets', '--json');
    expect(none.json.offered).toEqual([]);
    // A folder the user registers under that name is what the name means from then on.
    const own = tempDir();
    await makeImageFolder(own, { perClass: 4 });
    expect(vgglabEnv(env, 'datasets', 'add', own, '--name', 'fashion-mnist', '--json').code).toBe(0);
    expect(vgglabEnv(env, 'datasets', '--json').json.offered).toEqual([]);
    const mine = vgglabEnv(env, 'train', '--config', 'A', '--dataset', 'fashion-mnist', '--width', '0.0625', '--epochs', '1', '--batch', '4', '--json');
    expect(mine.json.dataset).toBe(`folder:${own}`);
  });

  it('counts the training images whose long side was cut to 3 × S, in the run log', async () => {
    // train/ and val/ of two classes; in train/, 3 panoramas (5:1 and 1:4) among 8 ordinary images,
    // none of them exactly 3:1 (which would sit at the limit uncut).
    const root = tempDir();
    const image = (dir: string, name: string, width: number, height: number, g: number) => {
      fs.mkdirSync(dir, { recursive: true });
      return sharp({ create: { width, height, channels: 3, background: { r: 100, g, b: 50 } } }).png().toFile(path.join(dir, name));
    };
    for (const [cls, g] of [['sea', 200], ['sky', 20]] as const) {
      for (let i = 0; i < 4; i++) await image(path.join(root, 'train', cls), `img${i}.png`, 40 + i, 36 + i, g);
      for (let i = 0; i < 2; i++) await image(path.join(root, 'val', cls), `img${i}.png`, 40, 40, g);
    }
    await image(path.join(root, 'train', 'sea'), 'wide.png', 200, 40, 200);
    await image(path.join(root, 'train', 'sea'), 'wider.png', 400, 50, 200);
    await image(path.join(root, 'train', 'sky'), 'tall.png', 40, 160, 20);
    const r = vgglab('train', '--config', 'A', '--dataset', `folder:${root}`, '--width', '0.0625', '--epochs', '1', '--batch', '4', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.data).toMatchObject({ train: 11, val: 4 });
    const notes = vgglab('show', String(r.json.runId), '--json').json.events.map((e: { payload: { message?: string } }) => e.payload.message ?? '');
    expect(notes.find((m: string) => m.startsWith('decoding 11 training images'))).toMatch(/\(3 at the 3:1 limit, longer sides cut to it\)/);
  });

  it('export writes CSV, JSON, Markdown and LaTeX of the named runs, or of --all, atomically; bad requests exit 2 and write nothing', async () => {
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    const ids = db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[];
    const points = (id: number) => db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(id) as number;
    const config = (id: number) => db.prepare('SELECT config FROM runs WHERE id = ?').pluck().get(id) as string;
    try {
      expect(ids.length).toBeGreaterThan(2);
      const [first, second] = [ids[0]!, ids[1]!];
      const out = tempDir('vgglab-export-');
      const file = (f: string) => path.join(out, f);
      const exported = (name: string, ...args: string[]) => {
        const r = vgglab('export', ...args, '--out', file(name));
        expect(r.code, r.stderr).toBe(0);
        return fs.readFileSync(file(name), 'utf8');
      };
      // CSV: one row per metric point of each named run, tidy columns.
      const csv = exported('runs.csv', String(first), String(second), '--format', 'csv').trim().split('\n');
      expect(csv[0]).toBe('run,config,epoch,step,split,metric,value');
      expect(csv.length - 1).toBe(points(first) + points(second));
      expect(new Set(csv.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set([String(first), String(second)]));
      // JSON: whole runs with their metrics and events.
      const json = JSON.parse(exported('runs.json', String(second), '--format', 'json'));
      expect(json.runs.map((r: { id: number }) => r.id)).toEqual([second]);
      expect(json.runs[0].metrics).toHaveLength(points(second));
      expect(json.runs[0].events.length).toBeGreaterThan(0);
      // Every recorded run with --all.
      const all = JSON.parse(exported('all.json', '--all', '--format', 'json'));
      expect(all.runs.map((r: { id: number }) => r.id).sort((a: number, b: number) => a - b)).toEqual(ids);
      // The comparison table: a header, its rule, and a row naming each run with its configuration.
      const md = exported('runs.md', String(first), String(second), '--format', 'md').trim().split('\n');
      expect(md[1]).toMatch(/^\|(---\|)+$/);
      for (const id of [first, second]) expect(md.some((l) => l.startsWith(`| #${id} | ${config(id)} |`)), md.join('\n')).toBe(true);
      const tex = exported('runs.tex', String(first), '--format', 'latex').trim().split('\n');
      expect(tex[0]).toMatch(/^\\begin\{tabular\}/);
      expect(tex.at(-1)).toBe('\\end{tabular}');
      expect(tex.some((l) => l.startsWith(`\\#${first} & ${config(first)} &`)), tex.join('\n')).toBe(true);
      // Refusals: an unknown run through a real process (the exit code), then both run ids and --all,
      // neither, and an unknown format through the CLI's main().
      const unknown = vgglab('export', '999', '--format', 'csv', '--out', file('refused'));
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/run 999 does not exist/);
      for (const [args, says] of [
        [[String(first), '--all', '--format', 'csv'], /give run ids or --all, not both/],
        [['--format', 'csv'], /name one or more runs, or --all/],
        [[String(first), '--format', 'xlsx'], /--format.*Allowed choices are csv, json, md, latex, tfjs/],
      ] as const) {
        const r = await vgglabInProcess(dataDir, ['export', ...args, '--out', file('refused')]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(says);
      }
      expect(fs.existsSync(file('refused'))).toBe(false);
      // Nothing but the exports themselves (no temporary files) is left in the folder.
      expect(fs.readdirSync(out).sort()).toEqual(['all.json', 'runs.csv', 'runs.json', 'runs.md', 'runs.tex']);
    } finally {
      db.close();
    }
  });
});

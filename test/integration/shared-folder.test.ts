// One data folder, several `vgglab` processes at once, as users run them: a live run is never taken
// over, a dead owner's run is shown interrupted at once, a refused resume changes nothing, two
// trainers record every point once, and a stop asked from another process reaches the owner.
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/main/app';
import { migrate } from '../../src/main/store/migrate';
import { MIGRATIONS } from '../../src/main/store/migrations';
import { thisProcess } from '../../src/main/services/ownership';
import { killed, vgglab, vgglabSync, waitInDb } from '../cli-process';
import { tempDir } from '../helpers';
import { alive } from '../processes';
import { until } from '../wait';

const long = ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '64', '--val-samples', '16', '--epochs', '100000', '--schedule', 'none', '--json'];
const lossPoints = (db: Database.Database, id: number) => db.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss'").pluck().get(id) as number;

async function folderWithLiveRun() {
  const dataDir = tempDir();
  await createApp({ dataDir }).close();
  const trainer = vgglab(dataDir, long);
  await waitInDb(dataDir, 'run 1 eight steps in', (db) => lossPoints(db, 1) >= 8, { watch: { trainer: trainer.proc } });
  return { dataDir, trainer };
}

describe('a data folder shared by several processes', () => {
  it('a second process sees a training run as running; once its trainer is SIGKILLed, as interrupted at once', async () => {
    const { dataDir, trainer } = await folderWithLiveRun();
    try {
      const during = vgglabSync(dataDir, ['runs', '--json']);
      expect(during.code, during.stderr).toBe(0);
      expect(during.json.runs[0]).toMatchObject({ id: 1, status: 'running' });
      const show = vgglabSync(dataDir, ['show', '1', '--json']);
      expect(show.json.status).toBe('running');
    } finally {
      await killed(trainer.proc);
    }
    // Same host, process gone: no lease to wait out.
    const t0 = Date.now();
    const after = vgglabSync(dataDir, ['runs', '--json']);
    expect(after.json.runs[0]).toMatchObject({ id: 1, status: 'interrupted' });
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('vgglab resume of a live run exits 3 (refused because of state), names the owner, and changes nothing', async () => {
    const { dataDir, trainer } = await folderWithLiveRun();
    try {
      const r = vgglabSync(dataDir, ['resume', '1']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`run 1 is training in process ${trainer.proc.pid} on this machine \\(started \\d\\d:\\d\\d\\); stop it first`));
      // The same refusal in-process, counting this connection's writes: none.
      const app = createApp({ dataDir });
      try {
        const before = app.db.prepare('SELECT total_changes()').pluck().get();
        await expect(app.runs.resume(1)).rejects.toThrow(/run 1 is training in process \d+ on this machine .*; stop it first/);
        expect(app.db.prepare('SELECT total_changes()').pluck().get()).toBe(before);
        expect(app.runs.get(1).status).toBe('running');
        expect(app.runs.events(1).filter((e) => e.kind === 'resume')).toHaveLength(0);
      } finally {
        await app.close();
      }
    } finally {
      await killed(trainer.proc);
    }
  });

  it('a stop asked from another process reaches the trainer, which checkpoints and ends the run as stopped', async () => {
    const { dataDir, trainer } = await folderWithLiveRun();
    const app = createApp({ dataDir });
    try {
      expect(app.runs.stop(1)).toEqual({ id: 1, status: 'stopping' });
      const res = await trainer.done;
      expect(res.code, res.stderr).toBe(0);
      expect(res.json).toMatchObject({ runId: 1, status: 'stopped' });
      expect(app.runs.get(1).status).toBe('stopped');
      // Its newest checkpoint holds the last step it trained, so Resume continues from there.
      expect(app.db.prepare('SELECT max(step) FROM checkpoints WHERE run_id = 1').pluck().get()).toBe(lossPoints(app.db, 1));
    } finally {
      await app.close();
      await killed(trainer.proc);
    }
  });

  it('pause and continue asked from another process reach the trainer: its points stop, then go on', async () => {
    const { dataDir, trainer } = await folderWithLiveRun();
    const app = createApp({ dataDir });
    const count = () => lossPoints(app.db, 1);
    try {
      expect(await app.runs.pause(1, true)).toEqual({ id: 1, paused: true });
      // The owner takes requests every second and records points within half a second; after 3 s
      // the count has settled, and it must then stay put for another 3 s.
      await new Promise((r) => setTimeout(r, 3000));
      const held = count();
      await new Promise((r) => setTimeout(r, 3000));
      expect(count()).toBe(held);
      expect(alive(trainer.proc)).toBe(true);
      expect(app.runs.get(1).status).toBe('running');
      expect(await app.runs.pause(1, false)).toEqual({ id: 1, paused: false });
      await until('points after the continue', () => count() > held, { timeoutMs: 60_000, watch: { trainer: trainer.proc } });
      expect(app.runs.stop(1)).toEqual({ id: 1, status: 'stopping' });
      const res = await trainer.done;
      expect(res.json).toMatchObject({ runId: 1, status: 'stopped' });
      const steps = app.db.prepare("SELECT step FROM metrics WHERE run_id = 1 AND split = 'train' AND name = 'loss' ORDER BY step").pluck().all() as number[];
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    } finally {
      await app.close();
    }
  });

  it('two vgglab train processes on one folder both complete, every step recorded once', async () => {
    const dataDir = tempDir();
    await createApp({ dataDir }).close();
    const args = (seed: number) => ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '128', '--val-samples', '32', '--epochs', '6', '--schedule', 'none', '--seed', String(seed), '--json'];
    // One OpenMP thread each: two trainers of two spinning threads on two cores slow each other by up
    // to six times (libgomp's spin-wait), and what is tested here is the shared database, not speed.
    const one = { OMP_NUM_THREADS: '1' };
    const [a, b] = await Promise.all([vgglab(dataDir, args(1), one).done, vgglab(dataDir, args(2), one).done]);
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.status).toBe('completed');
    }
    expect(new Set([a.json.runId, b.json.runId])).toEqual(new Set([1, 2]));
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM (SELECT 1 FROM metrics GROUP BY run_id, split, name, step HAVING count(*) > 1)').pluck().get()).toBe(0);
    for (const id of [1, 2]) {
      expect(db.prepare("SELECT step FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' ORDER BY step").pluck().all(id)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
      expect(db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND split = 'val' AND name = 'top1' ORDER BY step").pluck().all(id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(db.prepare("SELECT count(*) FROM events WHERE run_id = ? AND kind = 'checkpoint'").pluck().get(id)).toBe(6);
    }
    db.close();
  });

  it('several processes opening a new folder at once: the schema is made once, by one of them, and all of them work', async () => {
    const dataDir = tempDir();
    const all = await Promise.all(Array.from({ length: 4 }, () => vgglab(dataDir, ['runs', '--json']).done));
    for (const r of all) expect(r.code, r.stderr).toBe(0);
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it("a process id reused by another process is no owner: its run shows interrupted to a second process, the real owner's stays running", () => {
    const dataDir = tempDir();
    const app = createApp({ dataDir, concurrency: 0 });
    try {
      // Both rows name this test process's id on this host; only one names the time it started.
      // The other stands for an owner that died and whose id the system gave to this process.
      const me = thisProcess();
      const [boot, ticks] = [me.since.split(':')[1], Number(me.since.split(':')[2])];
      expect(me.since).toMatch(/^linux:/);
      const insert = app.db.prepare(
        `INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at, started_at, owner_pid, owner_host, owner_since, heartbeat_at)
         VALUES ('A', 'synthetic', '{"config":"A"}', 'running', 1, 5, 'x', ?, ?, ?, ?, ?, ?)`,
      );
      const now = new Date().toISOString();
      insert.run(now, now, me.pid, me.host, me.since, now);
      insert.run(now, now, me.pid, me.host, `linux:${boot}:${ticks - 100}`, now);
    } finally {
      void app.close();
    }
    const r = vgglabSync(dataDir, ['runs', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.runs.map((x: { id: number; status: string }) => [x.id, x.status])).toEqual([
      [2, 'interrupted'],
      [1, 'running'],
    ]);
  });

  it('an owner on another host keeps its run while its heartbeat is fresh, and loses it after the lease', () => {
    const dataDir = tempDir();
    const app = createApp({ dataDir, concurrency: 0 });
    try {
      const id = 1;
      app.db
        .prepare(
          `INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at, started_at, owner_pid, owner_host, owner_since, heartbeat_at)
           VALUES ('A', 'synthetic', '{"config":"A"}', 'running', 1, 5, 'x', ?, ?, 4242, 'gpu-box-2', 'linux:x:1', ?)`,
        )
        .run(new Date().toISOString(), new Date().toISOString(), new Date().toISOString());
      expect(os.hostname()).not.toBe('gpu-box-2');
      expect(app.runs.sweep()).toEqual([]);
      expect(() => app.runs.delete(id)).toThrow(/stop it before deleting it/);
      // The stop goes to the row, for the remote owner to read.
      expect(app.runs.stop(id)).toEqual({ id, status: 'stopping' });
      expect(app.db.prepare('SELECT requested FROM runs WHERE id = ?').pluck().get(id)).toBe('stop');
      app.db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?').run(new Date(Date.now() - 61_000).toISOString(), id);
      expect(app.runs.sweep()).toEqual([id]);
      expect(app.runs.get(id).status).toBe('interrupted');
    } finally {
      void app.close();
    }
  });
});

describe('migration 005 on a database with duplicates', () => {
  it('keeps the first of each metric point, checkpoint event and checkpoint row, and reports what it removed', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 4));
    db.prepare("INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at) VALUES ('A', 'synthetic', '{}', 'completed', 1, 2, 'x', 'now')").run();
    const point = db.prepare("INSERT INTO metrics VALUES (1, ?, ?, ?, ?, ?)");
    // Two trainers on one run: every step twice (the second copy with another value), validation twice.
    for (const copy of [0, 1]) {
      for (let step = 1; step <= 10; step++) point.run(step, step <= 5 ? 1 : 2, 'train', 'loss', step + copy * 100);
      for (const epoch of [1, 2]) point.run(epoch * 5, epoch, 'val', 'top1', 0.5 + copy);
    }
    point.run(3, 1, 'val', 'loss', 7); // unique: kept
    const event = db.prepare("INSERT INTO events (run_id, step, epoch, kind, payload_json, created_at) VALUES (1, ?, ?, ?, ?, 'now')");
    const check = db.prepare("INSERT INTO checkpoints (run_id, epoch, step, kind, path, sha256, created_at) VALUES (1, ?, ?, 'last', ?, ?, 'now')");
    for (const copy of [0, 1]) {
      event.run(5, 1, 'checkpoint', JSON.stringify({ kind: 'best', file: '/r/step-5.ckpt' }));
      event.run(10, 2, 'checkpoint', JSON.stringify({ kind: 'last', file: '/r/step-10.ckpt' }));
      event.run(5, 1, 'lr_drop', JSON.stringify({ from: 0.01, to: 0.001 }));
      event.run(7, 2, 'note', JSON.stringify({ message: `said ${copy}` }));
      check.run(1, 5, '/r/step-5.ckpt', `sha-${copy}`);
    }
    const said: string[] = [];
    expect(migrate(db, MIGRATIONS.slice(0, 5), (m) => said.push(m))).toEqual([5]);
    expect(said).toEqual(['migration 5 (run-owners): removed duplicates written by two processes on one run, keeping the first of each: 12 metric point(s), 3 event(s), 1 checkpoint row(s)']);
    expect(db.prepare("SELECT step, value FROM metrics WHERE split = 'train' ORDER BY step").all()).toEqual(Array.from({ length: 10 }, (_, i) => ({ step: i + 1, value: i + 1 })));
    expect(db.prepare("SELECT value FROM metrics WHERE split = 'val' AND name = 'top1' ORDER BY step").pluck().all()).toEqual([0.5, 0.5]);
    expect(db.prepare("SELECT value FROM metrics WHERE split = 'val' AND name = 'loss'").pluck().all()).toEqual([7]);
    expect(db.prepare('SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind').all()).toEqual([
      { kind: 'checkpoint', n: 2 },
      { kind: 'lr_drop', n: 1 },
      { kind: 'note', n: 2 },
    ]);
    expect(db.prepare('SELECT sha256 FROM checkpoints').pluck().all()).toEqual(['sha-0']);
    // From now on the database itself refuses a second copy of a point.
    expect(() => point.run(1, 1, 'train', 'loss', 9)).toThrow(/UNIQUE constraint failed/);
    expect(migrate(db, MIGRATIONS.slice(0, 5), (m) => said.push(m))).toEqual([]);
  });

  it('on a clean database reports nothing', () => {
    const db = new Database(':memory:');
    const said: string[] = [];
    migrate(db, MIGRATIONS, (m) => said.push(m));
    expect(said).toEqual([]);
  });
});

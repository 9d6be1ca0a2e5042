// Secrets stay off the command line: a worker given its queue password in a file, and serve given its
// token in a file or the environment, show neither in /proc/PID/cmdline (what `ps` prints to every
// user); a secret given in argv still works, with a warning.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PREFIX } from '../../src/main/cluster/shared/protocol';
import { killed, vgglab, vgglabSync } from '../cli-process';
import { serve } from '../e2e/serve';
import { skipNote, tempDir } from '../helpers';
import { redisMissing, RedisServer } from '../redis';
import { need } from '../require';
import { until } from '../wait';

const missing = need('redis', redisMissing());
const PASSWORD = 'pw-file-Kq27-secret';
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

describe('secrets off the command line', () => {
  it.skipIf(!!missing)(`a worker reads the queue password from a file; ps shows no secret${skipNote(missing)}`, async () => {
    const redis = await RedisServer.start({ password: PASSWORD });
    const bare = `redis://127.0.0.1:${redis.port}`;
    const file = path.join(tempDir(), 'queue-password');
    fs.writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const w = vgglab(tempDir(), ['worker', '--queue', bare, '--queue-password-file', file, '--artifacts', tempDir(), '--name', 'quiet-one']);
    try {
      const r = new Redis(redis.url);
      try {
        await until('the worker to come online with the password from its file', async () => (await r.exists(`${PREFIX}:worker:quiet-one`)) === 1, { everyMs: 100, timeoutMs: 60_000, watch: { worker: w.proc } });
      } finally {
        r.disconnect();
      }
      expect(cmdline(w.proc.pid!)).toContain(bare);
      expect(cmdline(w.proc.pid!)).not.toContain(PASSWORD);
      // The same queue from the environment's password; and a password in --queue works, with a warning.
      const listed = vgglabSync(tempDir(), ['workers', '--queue', bare, '--json'], { VGGLAB_QUEUE_PASSWORD: PASSWORD });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json.workers.map((x: { name: string }) => x.name)).toEqual(['quiet-one']);
      expect(listed.stderr).not.toMatch(/warning/);
      const inArgv = vgglabSync(tempDir(), ['workers', '--queue', redis.url, '--json']);
      expect(inArgv.code).toBe(0);
      expect(inArgv.stderr).toMatch(/^warning: the queue password in --queue on the command line is visible to every user of this machine \(ps\); use VGGLAB_QUEUE_PASSWORD or --queue-password-file instead$/m);
      // Without any password the queue refuses, and the command says it could not reach it.
      expect(vgglabSync(tempDir(), ['workers', '--queue', bare, '--json']).code).toBe(1);
      // An unreadable password file is bad usage, named.
      const gone = vgglabSync(tempDir(), ['workers', '--queue', bare, '--queue-password-file', '/nowhere/pw']);
      expect([gone.code, gone.stderr.split('\n')[0]]).toEqual([2, 'vgglab: --queue-password-file /nowhere/pw: cannot be read (ENOENT)']);
    } finally {
      await killed(w.proc);
      await redis.stop();
    }
  });

  it('serve takes its token from a file or the environment; ps shows no token; --token warns', async () => {
    const token = 'tok-file-Jd93-secret';
    const file = path.join(tempDir(), 'token');
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const ask = (url: string, t: string) => fetch(new URL('/api/call', url), { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ method: 'app.info', args: {} }) }).then((r) => r.status);
    const ways: [string, { args: string[]; env: NodeJS.ProcessEnv }][] = [
      ['--token-file', { args: ['--token-file', file], env: { VGGLAB_TOKEN: '' } }],
      ['VGGLAB_TOKEN', { args: [], env: { VGGLAB_TOKEN: token } }],
    ];
    for (const [how, opts] of ways) {
      const s = await serve(tempDir(), 'unused', opts);
      try {
        expect(cmdline(s.proc.pid!), how).not.toContain(token);
        expect(await ask(s.url, token), how).toBe(200);
        expect(await ask(s.url, 'wrong'), how).toBe(401);
        expect(s.output(), how).not.toMatch(/warning: --token/);
      } finally {
        await s.stop();
      }
    }
    const shown = await serve(tempDir(), 'unused', { args: ['--token', token], env: { VGGLAB_TOKEN: '' } });
    try {
      expect(await ask(shown.url, token)).toBe(200);
      await until('the warning', () => /warning: --token on the command line is visible to every user of this machine \(ps\); use VGGLAB_TOKEN or --token-file instead/.test(shown.output()), { timeoutMs: 10_000 });
    } finally {
      await shown.stop();
    }
  });
});

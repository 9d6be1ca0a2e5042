// Where the cluster is: flag, then environment, then the saved setting; the URL checked, its
// password never shown, and kept when the form gives back the redacted URL.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkQueueUrl, readSettings, redact, resolveCluster, saveSettings, storeId } from '../../src/main/cluster/shared/settings';
import { keepPassword } from '../../src/main/cluster/desktop/status';
import { decode, encode } from '../../src/main/cluster/shared/protocol';
import { tempDir } from '../helpers';

const saved = { queue: process.env.VGGLAB_QUEUE, artifacts: process.env.VGGLAB_ARTIFACTS };
afterEach(() => {
  for (const [k, v] of [['VGGLAB_QUEUE', saved.queue], ['VGGLAB_ARTIFACTS', saved.artifacts]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('cluster settings', () => {
  it('redacts a password and leaves a URL without one as it is', () => {
    expect(redact('redis://:s3cret@lab:6379')).toBe('redis://:***@lab:6379');
    expect(redact('rediss://user:s3cret@lab:6380/2')).toBe('rediss://user:***@lab:6380/2');
    expect(redact('redis://lab:6379')).toBe('redis://lab:6379');
  });

  it('accepts redis:// and rediss:// only, naming what is accepted and never echoing a password', () => {
    expect(checkQueueUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(() => checkQueueUrl('http://:pw@lab:6379')).toThrow(/scheme http: is not accepted; accepted: redis:\/\/ or rediss:\/\//);
    expect(() => checkQueueUrl('lab:6379 with spaces')).toThrow(/accepted: redis:\/\//);
    let refusal = '';
    expect(() => {
      try {
        checkQueueUrl('ftp://:hunter2@lab');
      } catch (err) {
        refusal = (err as Error).message;
        throw err;
      }
    }).toThrow(/scheme ftp: is not accepted; accepted: redis:\/\/ or rediss:\/\//);
    expect(refusal).not.toContain('hunter2');
  });

  it('takes the flag over the environment over the saved setting; no queue anywhere: none', () => {
    const dir = tempDir();
    delete process.env.VGGLAB_QUEUE;
    delete process.env.VGGLAB_ARTIFACTS;
    expect(resolveCluster(dir)).toBeNull();
    saveSettings(dir, { queue: 'redis://saved:1', artifacts: '/mnt/a' });
    expect(resolveCluster(dir)).toEqual({ queue: 'redis://saved:1', artifacts: '/mnt/a' });
    process.env.VGGLAB_QUEUE = 'redis://env:2';
    expect(resolveCluster(dir)?.queue).toBe('redis://env:2');
    expect(resolveCluster(dir, { queue: 'redis://flag:3', artifacts: '/mnt/b' })).toEqual({ queue: 'redis://flag:3', artifacts: '/mnt/b' });
    // The file holds the password: only its owner may read it.
    expect(fs.statSync(path.join(dir, 'cluster.json')).mode & 0o077).toBe(0);
  });

  it('keeps the saved password when the form gives back the redacted URL, and takes a new one', () => {
    const before = { queue: 'redis://:old-pw@lab:6379', artifacts: '/mnt/a' };
    expect(keepPassword({ queue: 'redis://:***@lab:6379', artifacts: '/mnt/a' }, before).queue).toBe('redis://:old-pw@lab:6379');
    expect(keepPassword({ queue: 'redis://:new-pw@lab:6379' }, before).queue).toBe('redis://:new-pw@lab:6379');
    expect(keepPassword({ queue: '' }, before).queue).toBeUndefined();
    const dir = tempDir();
    saveSettings(dir, keepPassword({ queue: '' }, before));
    expect(readSettings(dir)).toEqual({ queue: undefined, artifacts: undefined });
  });

  it('gives a data folder one identity on the queue, the same on every call', () => {
    const dir = tempDir();
    const id = storeId(dir);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(storeId(dir)).toBe(id);
  });

  it('numbers stream entries, and refuses an entry that is not one', () => {
    const fields = encode('s-1', 7, { type: 'log', level: 'note', message: 'hi' });
    expect(decode(fields)).toEqual({ session: 's-1', seq: 7, msg: { type: 'log', level: 'note', message: 'hi' } });
    expect(decode(['m', '{not json'])).toBeNull();
    expect(decode(['s', 'x', 'm', '{"type":"log"}'])).toBeNull();
  });
});

// Where the cluster is: the queue's Redis URL and the shared artifacts folder, resolved from a flag,
// else the environment (VGGLAB_QUEUE / VGGLAB_ARTIFACTS), else the data folder's saved setting. The
// setting lives in a file in the data folder, never in the database, and the URL's password is never
// shown: every message and every answer to the UI carries the redacted form.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface ClusterSettings {
  queue: string;
  artifacts: string;
}

const FILE = 'cluster.json';
const STORE_ID = 'store-id';

/** "redis://:***@host:6379": the URL with any password replaced. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** A queue URL is redis:// or rediss:// (TLS) with a host; anything else is refused with what is accepted. */
export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue URL ${redact(url)} is not a URL; accepted: redis://[:PASSWORD@]HOST[:PORT] or rediss://… (TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`queue URL scheme ${u.protocol} is not accepted; accepted: redis:// or rediss:// (TLS)`);
  if (!u.hostname) throw new Error('queue URL has no host; accepted: redis://[:PASSWORD@]HOST[:PORT]');
  return url;
}

export function readSettings(dataDir: string): Partial<ClusterSettings> {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')) as Partial<ClusterSettings>;
    return { queue: typeof raw.queue === 'string' && raw.queue ? raw.queue : undefined, artifacts: typeof raw.artifacts === 'string' && raw.artifacts ? raw.artifacts : undefined };
  } catch {
    return {};
  }
}

/** Saves the setting (owner-only file: it holds the password), atomically. */
export function saveSettings(dataDir: string, s: Partial<ClusterSettings>): void {
  if (s.queue) checkQueueUrl(s.queue);
  const file = path.join(dataDir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(tmp, JSON.stringify({ queue: s.queue ?? null, artifacts: s.artifacts ? path.resolve(s.artifacts) : null }, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The cluster this process uses: flags, else environment, else the saved setting; null when no queue is named. */
export function resolveCluster(dataDir: string, flags: { queue?: string; artifacts?: string } = {}): ClusterSettings | null {
  const saved = readSettings(dataDir);
  const queue = flags.queue ?? process.env.VGGLAB_QUEUE ?? saved.queue;
  if (!queue) return null;
  const artifacts = flags.artifacts ?? process.env.VGGLAB_ARTIFACTS ?? saved.artifacts ?? path.join(dataDir, 'artifacts');
  return { queue: checkQueueUrl(queue), artifacts: path.resolve(artifacts) };
}

/**
 * This data folder's identity on a shared queue, so that two desktops' run 7 are two jobs. Made once,
 * by whichever process comes first (an exclusive create; a loser reads the winner's).
 */
export function storeId(dataDir: string): string {
  const file = path.join(dataDir, STORE_ID);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(6).toString('hex'), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

// Redis connections from a queue URL. BullMQ needs maxRetriesPerRequest null (its blocking commands
// wait through reconnects); the same holds for the event stream, whose commands must wait for Redis
// to come back rather than fail and lose a point. rediss:// turns TLS on, checked against the system's CAs or
// VGGLAB_QUEUE_CA (a PEM file, for a lab's own CA). VGGLAB_QUEUE_PASSWORD is the password of a URL
// given without one.
import fs from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { redact } from './settings';

export function connect(url: string, extra: RedisOptions = {}): Redis {
  const tls = url.startsWith('rediss://');
  // A password kept off the command line (cli/secrets.ts) joins a URL that has none.
  const password = !new URL(url).password && process.env.VGGLAB_QUEUE_PASSWORD ? { password: process.env.VGGLAB_QUEUE_PASSWORD } : {};
  const redis = new Redis(url, {
    ...password,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // Reconnect forever, backing off to 2 s: a restarted Redis is found again.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...(tls ? { tls: process.env.VGGLAB_QUEUE_CA ? { ca: fs.readFileSync(process.env.VGGLAB_QUEUE_CA) } : {} } : {}),
    ...extra,
  });
  // ioredis reports connection errors as events; unhandled they would crash the process. The URL is
  // never in the message (ioredis does not print it), but say which queue, redacted.
  let last = '';
  redis.on('error', (err: Error) => {
    const line = `vgglab: queue ${redact(url)}: ${err.message}`;
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
  });
  redis.on('ready', () => (last = ''));
  return redis;
}

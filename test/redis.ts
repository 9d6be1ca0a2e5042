// Real Redis servers for the cluster tests: each on a free loopback port, in its own folder, with
// its append-only file on (fsync on every write), optionally with a password and TLS. Stoppable and
// restartable on the same port and folder, as a lab's Redis restarts.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers';
import { freePort } from '../src/main/free-port';
import { launch } from './processes';

/** Why Redis tests cannot run here, or null. */
export function redisMissing(): string | null {
  return spawnSync('redis-server', ['--version']).status === 0 ? null : 'redis-server is not installed (bash scripts/install-system-deps.sh)';
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
export function makeTlsFiles(dir: string): TlsFiles {
  const f = (n: string) => path.join(dir, n);
  const ssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=vgglab test CA', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr')]);
  fs.writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.crt')]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export class RedisServer {
  private proc: ChildProcess | null = null;
  readonly dir = tempDir('vgglab-redis-');
  private constructor(
    readonly port: number,
    private readonly opts: { password?: string; tls?: TlsFiles },
  ) {}

  static async start(opts: { password?: string; tls?: TlsFiles } = {}): Promise<RedisServer> {
    const r = new RedisServer(await freePort(), opts);
    await r.start();
    return r;
  }

  /** The URL a user would give: redis://[:PASSWORD@]127.0.0.1:PORT, or rediss:// with TLS. */
  get url(): string {
    return `${this.opts.tls ? 'rediss' : 'redis'}://${this.opts.password ? `:${this.opts.password}@` : ''}127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'no'];
    if (this.opts.tls) args.push('--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.opts.tls.cert, '--tls-key-file', this.opts.tls.key, '--tls-ca-cert-file', this.opts.tls.ca, '--tls-auth-clients', 'no');
    else args.push('--port', String(this.port));
    if (this.opts.password) args.push('--requirepass', this.opts.password);
    const proc = launch('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], what: `redis-server :${this.port}`, scope: 'file' });
    this.proc = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${log}`)), 15_000);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}):\n${log}`));
      });
    });
    proc.removeAllListeners('exit');
  }

  /** Stops the server (SIGTERM: it finishes its append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Secrets stay off the command line, where every user of the machine can read them (`ps`,
// /proc/PID/cmdline): the queue's password comes from VGGLAB_QUEUE_PASSWORD or a file, serve's token
// from VGGLAB_TOKEN or a file. One given in argv still works, with a warning that says so.
import fs from 'node:fs';
import { UsageError } from './options';

/** The first line of a secret's file, refused where it cannot be read or is empty. */
export function readSecretFile(flag: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const secret = text.split(/\r?\n/)[0]!.trim();
  if (!secret) throw new UsageError(`${flag} ${file}: the file is empty; accepted: a file whose first line is the secret`);
  return secret;
}

const warn = (what: string, instead: string) => process.stderr.write(`warning: ${what} on the command line is visible to every user of this machine (ps); use ${instead} instead\n`);

/**
 * Takes the queue password from --queue-password-file into this process's environment, where the
 * Redis connections read it (cluster/shared/connection.ts), and warns about one inside --queue.
 */
export function queueSecrets(opts: { queue?: string; queuePasswordFile?: string }): void {
  if (opts.queuePasswordFile) process.env.VGGLAB_QUEUE_PASSWORD = readSecretFile('--queue-password-file', opts.queuePasswordFile);
  if (opts.queue && /^rediss?:\/\/[^/@]*:[^/@]+@/.test(opts.queue)) warn('the queue password in --queue', 'VGGLAB_QUEUE_PASSWORD or --queue-password-file');
}

/** serve's token: --token-file, else VGGLAB_TOKEN, else --token (warned about), else none (a random one is made). */
export function serveToken(opts: { token?: string; tokenFile?: string }): string | undefined {
  if (opts.tokenFile) return readSecretFile('--token-file', opts.tokenFile);
  if (opts.token) {
    warn('--token', 'VGGLAB_TOKEN or --token-file');
    return opts.token;
  }
  return process.env.VGGLAB_TOKEN || undefined;
}

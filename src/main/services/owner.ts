// Who owns a run: a process on a host, identified so that a reused process id is not mistaken for
// the owner, and the rule by which another process may decide that the owner is gone.
import fs from 'node:fs';
import os from 'node:os';

export interface Owner {
  pid: number;
  host: string;
  /**
   * When the process started, in a form that tells two processes with the same id apart:
   * `linux:BOOT_ID:TICKS` (kernel boot id and start time in clock ticks), elsewhere `ms:EPOCH_MS`.
   */
  since: string;
}

/** How often an owner writes its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** An owner on another host is gone once its heartbeat is this old (no process table to look at). */
export const REMOTE_LEASE_MS = 60_000;

function linuxStart(pid: number | 'self'): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counts from the field after the parenthesised command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19];
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return ticks ? `linux:${boot}:${ticks}` : null;
  } catch {
    return null;
  }
}

let self: Owner | undefined;

export function thisProcess(): Owner {
  self ??= {
    pid: process.pid,
    host: os.hostname(),
    since: linuxStart('self') ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`,
  };
  return self;
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/**
 * Whether an owner is provably gone: on this host, its process no longer exists or the id now
 * belongs to a process that started at another time; on another host, its heartbeat is older than
 * the lease. A live owner, or one that cannot be shown to be gone, keeps its run.
 */
export function ownerGone(owner: Owner, heartbeatAt: string | null, now = Date.now()): boolean {
  if (owner.host !== os.hostname()) return !heartbeatAt || now - Date.parse(heartbeatAt) > REMOTE_LEASE_MS;
  if (owner.since.startsWith('linux:')) {
    const current = linuxStart(owner.pid);
    return current === null || current !== owner.since;
  }
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** "in process 1234 on this machine" / "in process 1234 on host gpu-2". */
export function describeOwner(owner: Owner): string {
  return `in process ${owner.pid} ${owner.host === os.hostname() ? 'on this machine' : `on host ${owner.host}`}`;
}

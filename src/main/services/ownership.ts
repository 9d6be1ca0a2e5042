// Runs in a data folder that several processes share: who owns a run (a process on a host,
// identified so that a reused process id is not mistaken for the owner), the rule by which another
// process may decide that the owner is gone, and this process's side of it: the sweep that marks
// such runs interrupted, the heartbeat on its own runs, the stop and pause requests other processes
// leave in a run's row, and the message that names the owner of a busy run. The claims themselves
// are single conditional updates (store/owners.ts).
import fs from 'node:fs';
import os from 'node:os';
import { ACTIVE_STATUSES as ACTIVE, type RunStatus } from '../../shared/domain';
import type { Db } from '../store/db';
import { activeRuns, heartbeat, markOwnerGone, ownedRun, takeRequests, type OwnedRun, type Owner } from '../store/owners';

export type { Owner };

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

const hhmm = (iso: string) => new Date(iso).toTimeString().slice(0, 5);

export interface OwnershipDeps {
  db: Db;
  /** The run's row changed (the UI is told). */
  publish: (id: number) => void;
  /** The run reached a final state. */
  settle: (id: number, status: RunStatus) => void;
  /** What to do with a request another process left for a run this one trains. */
  stop: (id: number) => unknown;
  pause: (id: number, on: boolean) => unknown;
}

export class Ownership {
  /** This process, as the owner of the runs it trains. */
  readonly me = thisProcess();
  constructor(private readonly deps: OwnershipDeps) {}

  /**
   * Marks runs whose owner is provably gone as interrupted, and tells the UI; runs this process or
   * another live one holds are left alone. Returns the ids marked.
   */
  sweep(only?: number): number[] {
    const { db } = this.deps;
    const marked: number[] = [];
    const candidates = only === undefined ? activeRuns(db) : [ownedRun(db, only)].filter((r): r is OwnedRun => !!r && ACTIVE.includes(r.status));
    for (const r of candidates) {
      if (r.owner && (sameOwner(r.owner, this.me) || !ownerGone(r.owner, r.heartbeatAt))) continue;
      if (markOwnerGone(db, r.id, r.owner)) {
        marked.push(r.id);
        this.deps.publish(r.id);
        this.deps.settle(r.id, 'interrupted');
      }
    }
    return marked;
  }

  /** The heartbeat on the runs this process holds. */
  heartbeat(): void {
    heartbeat(this.deps.db, this.me);
  }

  /** Stop, pause or continue asked by other processes for runs this one trains. */
  takeRequests(): void {
    for (const r of takeRequests(this.deps.db, this.me)) {
      try {
        if (r.requested === 'stop') this.deps.stop(r.id);
        else this.deps.pause(r.id, r.requested === 'pause');
      } catch {
        /* it ended meanwhile */
      }
    }
  }

  /** Whether a live process other than this one holds the run. */
  ownedElsewhere(id: number): boolean {
    this.sweep(id);
    const r = ownedRun(this.deps.db, id);
    return !!r?.owner && ACTIVE.includes(r.status) && !sameOwner(r.owner, this.me);
  }

  /** "run 7 is training in process 1234 on this machine (started 10:42); stop it first". */
  busyMessage(id: number): string {
    const run = ownedRun(this.deps.db, id)!;
    const doing = run.status === 'running' ? 'training' : 'queued';
    const where = run.owner ? (sameOwner(run.owner, this.me) ? 'in this process' : describeOwner(run.owner)) : 'in another process';
    const since = run.startedAt ? ` (started ${hhmm(run.startedAt)})` : '';
    return `run ${run.id} is ${doing} ${where}${since}; stop it first`;
  }
}

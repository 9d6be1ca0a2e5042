// Whether a torch engine that has not answered is hung or only slow. A step's time is no guide: VGG-D
// at 224 px takes 8 s a step on a 2-core CPU, and the first step, which times both memory layouts,
// over a minute. So silence alone is not enough: a child silent for the timeout is asked how much
// CPU time it has used; one that used none over a short look (a deadlock, a stopped process, a wait
// that never ends) is hung, one that is computing is given more time, up to a hard limit.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Silent for this many timeouts, the child is taken for hung even while it computes (a spinning wait). */
export const HARD_LIMIT_TIMEOUTS = 30;

/**
 * CPU seconds a process has used, user and system, all its threads; null where this platform cannot
 * tell (Windows) or the process is gone. Linux: /proc (ticks of 1/100 s, USER_HZ); macOS: ps.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    if (process.platform === 'linux') {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The fields after the command name, which is in parentheses and may hold spaces.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    }
    if (process.platform === 'darwin') {
      const text = execFileSync('ps', ['-o', 'time=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 }).trim();
      // [[dd-]hh:]mm:ss.ss
      const [days, rest] = text.includes('-') ? [Number(text.split('-')[0]), text.split('-')[1]!] : [0, text];
      return rest.split(':').reduce((s, part) => s * 60 + Number(part), 0) + days * 86400;
    }
  } catch {
    return null;
  }
  return null;
}

export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | null = null;

  /**
   * `onHung` gets the reason, e.g. "no reply to 'step' in 60 s, and it used no CPU time, so it was
   * killed"; the caller kills the child.
   */
  constructor(
    private readonly pid: () => number | undefined,
    private readonly timeoutMs: number,
    private readonly onHung: (reason: string) => void,
  ) {}

  /** Watches for the answer to `op` from now (each answer re-arms it for the next request). */
  arm(op: string): void {
    this.disarm();
    const since = Date.now();
    const timeout = this.timeoutMs;
    // How long the child's CPU time is watched once it has been silent for the timeout.
    const look = Math.min(timeout / 4, 5000);
    const silentS = () => Math.round((Date.now() - since) / 1000);
    const check = (cpuBefore: number | null) => {
      const pid = this.pid();
      const cpuNow = pid === undefined ? null : cpuSeconds(pid);
      if (cpuBefore === null) {
        // The first look: where the CPU time can be read, watch it a little before judging.
        if (cpuNow !== null) {
          this.timer = setTimeout(() => check(cpuNow), look);
          return;
        }
        this.onHung(`no reply to '${op}' in ${silentS()} s, so it was killed`);
        return;
      }
      // Computing: at least 5 % of one core over the look (a hung process uses none).
      const computing = cpuNow !== null && cpuNow - cpuBefore >= (0.05 * look) / 1000;
      if (!computing) {
        this.onHung(`no reply to '${op}' in ${silentS()} s, and it used no CPU time, so it was killed`);
        return;
      }
      if (Date.now() - since >= HARD_LIMIT_TIMEOUTS * timeout) {
        this.onHung(`no reply to '${op}' in ${silentS()} s, though it kept using CPU time (more than ${HARD_LIMIT_TIMEOUTS} times the timeout), so it was killed`);
        return;
      }
      this.timer = setTimeout(() => check(null), Math.max(0, timeout - look));
    };
    this.timer = setTimeout(() => check(null), timeout);
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

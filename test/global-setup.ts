// Runs once in vitest's main process (vitest.config.ts globalSetup). Every process the suite starts
// inherits VGGLAB_TEST_MARK; after the last file, anything that still carries this run's mark (a
// trainer whose test process was killed outright, so that no hook ran) is SIGKILLed and named.
// test/processes.ts ends processes after each test and file; this is the net under it (Linux, /proc).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

const MARK = 'VGGLAB_TEST_MARK';

/** Processes (pid and command line) whose environment holds `mark`, other than this one and its pool's. */
export function marked(mark: string): { pid: number; cmd: string }[] {
  if (!fs.existsSync('/proc/self/environ')) return [];
  const found: { pid: number; cmd: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(`${MARK}=${mark}`)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Zombies are already gone; vitest's own pool workers are its children and end with it.
      if (state === 'Z' || Number(ppid) === process.pid) continue;
      // Credentials in a queue URL are not for the log.
      found.push({ pid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().replace(/\/\/[^/@\s]*@/g, '//***@') });
    } catch {
      /* ended meanwhile, or not ours to read */
    }
  }
  return found;
}

export function setup(): () => Promise<void> {
  const mark = randomUUID();
  process.env[MARK] = mark;
  return async () => {
    const left = marked(mark);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (!left.length) return;
    console.warn(`suite teardown: SIGKILLed ${left.length} process(es) the tests left running:\n${left.map((p) => `  ${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}`);
    // A signalled process takes a moment to go; vitest's exit should not race it.
    const until = Date.now() + 10_000;
    while (Date.now() < until && marked(mark).length) await new Promise((r) => setTimeout(r, 20));
  };
}

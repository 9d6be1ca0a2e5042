// What the UI does to a run, from the CLI: stop, pause, continue, delete, tag, note. Each goes
// through the contract with the UI's rules: a run another process trains is stopped or paused
// through its row (the owner acts within a second); a queued or training run cannot be deleted.
import readline from 'node:readline/promises';
import { UsageError } from '../options';
import { call, printJson, withApp, type Globals } from './common';

export function stopCommand(g: Globals, id: number, raw: { json?: boolean }): Promise<number> {
  return withApp(g, async (app) => {
    const r = await call(app, 'runs.stop', { id });
    if (raw.json) printJson(r);
    else console.log(r.status === 'stopped' ? `run ${id} stopped (it had not started)` : `run ${id} is stopping: it stops after its current step, with a checkpoint`);
    return 0;
  });
}

export function pauseCommand(g: Globals, id: number, paused: boolean, raw: { json?: boolean }): Promise<number> {
  return withApp(g, async (app) => {
    const r = await call(app, 'runs.pause', { id, paused });
    if (raw.json) printJson(r);
    else console.log(paused ? `run ${id} pauses after its current step (\`vgglab continue ${id}\` goes on)` : `run ${id} goes on`);
    return 0;
  });
}

export async function deleteCommand(g: Globals, id: number, raw: { yes?: boolean; json?: boolean }): Promise<number> {
  if (!raw.yes) {
    if (!process.stdin.isTTY || raw.json) throw new UsageError(`delete: run ${id} and its metrics, checkpoints and evaluations go for good; add --yes to confirm`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`delete run ${id} with its metrics, checkpoints and evaluations? This cannot be undone. [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      console.log(`run ${id} kept`);
      return 0;
    }
  }
  return withApp(g, async (app) => {
    const r = await call(app, 'runs.delete', { id });
    if (raw.json) printJson(r);
    else console.log(`run ${id} deleted`);
    return 0;
  });
}

/** `vgglab tag RUN +best -draft`: adds and removes tags, keeping the rest. */
export async function tagCommand(g: Globals, id: number, changes: string[], raw: { json?: boolean }): Promise<number> {
  const bad = changes.find((c) => !/^[+-][^,]+$/.test(c));
  if (bad !== undefined || !changes.length) throw new UsageError(`tag: ${bad === undefined ? 'name a change' : `'${bad}'`}: accepted: +TAG to add, -TAG to remove (no commas), e.g. vgglab tag ${id} +best -draft`);
  return withApp(g, async (app) => {
    const tags = new Set(app.runs.get(id).tags);
    for (const c of changes) c.startsWith('+') ? tags.add(c.slice(1)) : tags.delete(c.slice(1));
    const r = await call(app, 'runs.annotate', { id, tags: [...tags] });
    if (raw.json) printJson({ id, tags: r.tags });
    else console.log(`run ${id} tags: ${r.tags.length ? r.tags.join(', ') : '(none)'}`);
    return 0;
  });
}

export async function noteCommand(g: Globals, id: number, text: string, raw: { json?: boolean }): Promise<number> {
  return withApp(g, async (app) => {
    const r = await call(app, 'runs.annotate', { id, notes: text });
    if (raw.json) printJson({ id, notes: r.notes });
    else console.log(`run ${id} notes saved (${r.notes.length} characters)`);
    return 0;
  });
}

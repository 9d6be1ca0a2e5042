// vgglab datasets: register a folder (detected kind, classes, counts, mean) and list them.
import { table } from '../format';
import { call, openApp, printJson, type Globals } from './common';

export async function datasetsAddCommand(g: Globals, dir: string, opts: { name?: string; json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const d = await call(app, 'datasets.add', { path: dir, name: opts.name });
    if (opts.json) printJson(d);
    else console.log(`registered ${d.name}: ${d.kind} at ${d.path}, ${d.classes.length} classes, ${d.counts.train.reduce((a, b) => a + b, 0)} train / ${d.counts.val.reduce((a, b) => a + b, 0)} val images${d.counts.skipped ? `, ${d.counts.skipped} unreadable skipped` : ''}; use --dataset ${d.name}`);
    return 0;
  } finally {
    await app.close();
  }
}

export async function datasetsListCommand(g: Globals, opts: { json?: boolean }): Promise<number> {
  const app = openApp(g);
  const list = app.datasets.list();
  const offered = app.datasets.offered();
  await app.close();
  if (opts.json) {
    printJson({ datasets: list, offered });
    return 0;
  }
  if (offered.length) console.log(`installed on this machine, usable by name: ${offered.map((o) => `${o.name} (${o.spec}; ${o.about})`).join('; ')}`);
  if (!list.length) console.log('no registered datasets: add one with `vgglab datasets add PATH` (the built-in `synthetic` needs none)');
  else
    console.log(
      table(
        ['name', 'kind', 'classes', 'train', 'val', 'mean RGB', 'path'],
        list.map((d) => [d.name, d.kind, d.classes.length, d.counts.train.reduce((a, b) => a + b, 0), d.counts.val.reduce((a, b) => a + b, 0), d.meanRgb ? d.meanRgb.map((v) => v.toFixed(1)).join(',') : '-', d.path]),
      ),
    );
  return 0;
}

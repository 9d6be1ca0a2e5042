// Each command's module is loaded when the command runs, never before: `vgglab --help` and a bad flag
// need only commander and the flag definitions, not the app, its services and their engines. In the
// CLI's bundle (out/main/cli.js) each is a chunk of its own.
const COMMANDS = {
  bench: () => import('./commands/bench'),
  cluster: () => import('./commands/cluster'),
  datasets: () => import('./commands/datasets'),
  manage: () => import('./commands/manage'),
  predict: () => import('./commands/predict'),
  read: () => import('./commands/read'),
  results: () => import('./commands/results'),
  runs: () => import('./commands/runs'),
  serve: () => import('./commands/serve'),
  study: () => import('./commands/study'),
};
type Commands = typeof COMMANDS;

export function command<K extends keyof Commands>(name: K): ReturnType<Commands[K]> {
  return COMMANDS[name]() as ReturnType<Commands[K]>;
}

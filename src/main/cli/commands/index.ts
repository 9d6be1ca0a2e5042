// The `vgglab` subcommands. Each prints for people, or one JSON object as the last line with --json.
export type { Globals } from './common';
export { benchCommand } from './bench';
export { datasetsAddCommand, datasetsListCommand } from './datasets';
export { compareCommand, evalCommand, exportCommand } from './results';
export { modelsCommand, resumeCommand, runsCommand, showCommand, trainCommand } from './runs';
export { rendererDir, serveCommand } from './serve';
export { workerCommand, workersCommand } from './cluster';

// What every subcommand shares: the global flags, opening the app on the data folder, calling the
// contract as the UI does, and turning its refusals into usage errors.
import { ContractError, type ArgsOf, type MethodName, type ResultOf } from '../../../shared/contract';
import { createApp, type App } from '../../app';
import { resolveDataDir } from '../../paths';
import { createDispatcher } from '../../transports/dispatch';

import type { Globals } from '../output';
export { printJson, type Globals } from '../output';

/** Calls a contract method the way the UI does: arguments validated (and parsed) by the contract, then the handler. */
export async function call<M extends MethodName>(app: App, method: M, args: ArgsOf<M>): Promise<ResultOf<M>> {
  const out = await createDispatcher(app.handlers)(method, args);
  if (!out.ok) throw new ContractError(out.error.message, out.error.code as ContractError['code'], out.error.issues);
  return out.result as ResultOf<M>;
}

export function openApp(g: Globals, transport = 'cli', cluster?: { queue?: string; artifacts?: string }): App {
  return createApp({ dataDir: resolveDataDir(g.dataDir), transport, ...(cluster ? { cluster } : {}) });
}

/** Runs `use` on the app opened on the data folder, and closes it whatever happens. */
export async function withApp<T>(g: Globals, use: (app: App) => Promise<T>): Promise<T> {
  const app = openApp(g);
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}

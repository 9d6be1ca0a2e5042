// The one dispatcher every transport uses: validate the method and its arguments against
// the contract, then call the handler. Nothing reaches a handler unvalidated.
import { ContractError, isMethodName, parseArgs, type Handlers, type MethodName } from '../../shared/contract';
import type { CallResult } from '../../shared/wire';

export type { CallResult };

export function createDispatcher(handlers: Handlers) {
  return async function dispatch(method: unknown, args: unknown): Promise<CallResult> {
    try {
      if (!isMethodName(method)) throw new ContractError(`unknown method ${JSON.stringify(method)}`, 'not_found');
      const parsed = parseArgs(method, args);
      const handler = handlers[method] as (a: unknown) => unknown;
      return { ok: true, result: await handler(parsed) };
    } catch (err) {
      if (err instanceof ContractError) return { ok: false, error: { code: err.code, message: err.message, issues: err.issues } };
      return { ok: false, error: { code: 'internal', message: (err as Error).message ?? String(err) } };
    }
  };
}
export type Dispatch = ReturnType<typeof createDispatcher>;
export type { MethodName };

// What crosses a transport, in one place: the Electron IPC channel names and the shape of a call's
// answer. No dependencies, so the sandboxed preload bundles it without the schemas.

/** The invoke channel for calls and the channel on which events arrive. */
export const IPC = { call: 'vgglab:call', event: 'vgglab:event' } as const;

/** A call's answer on every transport (IPC, HTTP): the result, or an error with a code and a sentence. */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

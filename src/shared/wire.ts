// What crosses a transport, in one place: the Electron IPC channel names and the shape of a call's
// answer. No dependencies, so the sandboxed preload bundles it without the schemas.

/** The invoke channel for calls and the channel on which events arrive. */
export const IPC = { call: 'vgglab:call', event: 'vgglab:event' } as const;

/** What is wrong with one field of a call's arguments (the field's name is not in the message), or with the call. */
export interface FieldIssue {
  field?: string;
  message: string;
}

/** A call's answer on every transport (IPC, HTTP): the result, or an error with a code, a sentence and its field issues. */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; issues?: FieldIssue[] } };

/** A refused call as the renderer sees it. */
export class CallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly issues: FieldIssue[] = [{ message }],
  ) {
    super(message);
    this.name = 'CallError';
  }
}

// Closing the window while this process trains runs: ask whether to keep training in the
// background (the window hides, a tray icon stays), stop the runs with a checkpoint and quit, or
// not close at all. Runs of other processes (CLI, serve, the cluster) are theirs and go on anyway.

export type CloseAction = 'close' | 'background' | 'stop-and-quit' | 'cancel';

export const CLOSE_BUTTONS = ['Keep training in the background', 'Stop with a checkpoint and quit', 'Cancel'] as const;

/** The question, or null when nothing trains here and the window just closes. */
export function closeQuestion(training: readonly number[]): { message: string; detail: string } | null {
  if (!training.length) return null;
  const runs = training.map((id) => `#${id}`).join(', ');
  return {
    message: training.length === 1 ? `Run ${runs} is training.` : `${training.length} runs are training (${runs}).`,
    detail: 'In the background they go on and VGG Lab stays in the tray; stopped, each saves a checkpoint you can resume from its run page.',
  };
}

/** What the user's answer (the index of the button clicked; Escape gives the last) means. */
export function closeAction(training: readonly number[], button: number | null): CloseAction {
  if (!training.length) return 'close';
  return button === 0 ? 'background' : button === 1 ? 'stop-and-quit' : 'cancel';
}

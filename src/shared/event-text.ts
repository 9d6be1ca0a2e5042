// A run's event as a sentence for its log (run page, `vgglab show`), not raw JSON.
import type { RunEvent } from './domain';
import { describeConvChoices, type ConvChoiceCounts } from './conv-choices';

const num = (x: unknown) => (typeof x === 'number' ? Number(x.toPrecision(3)).toString() : String(x));
const file = (p: unknown) => String(p ?? '').split(/[\\/]/).at(-1);

export function describeEvent(e: Pick<RunEvent, 'kind' | 'payload'>): string {
  const p = e.payload as Record<string, unknown>;
  switch (e.kind) {
    case 'lr_drop':
      return `learning rate ${num(p.from)} → ${num(p.to)}${p.reason ? ` (${String(p.reason)})` : ''}`;
    case 'early_stop':
      return `training ended early: ${String(p.reason ?? 'no improvement')}`;
    case 'diverged':
      return `diverged: ${String(p.message ?? '')}`;
    case 'checkpoint':
      return `checkpoint written (${String(p.kind)}): ${file(p.file)}`;
    case 'resume':
      if (p.restarted) return `started again from its first step (it had no checkpoint; it was ${String(p.previousStatus)})`;
      return `resumed from the checkpoint after epoch ${num(p.fromEpoch)} (step ${num(p.fromStep)}); it was ${String(p.previousStatus)}`;
    case 'pause':
      return 'paused';
    case 'unpause':
      return `continued after ${typeof p.seconds === 'number' ? p.seconds.toFixed(0) : '?'} s paused`;
    case 'stop':
      return `stopped: ${String(p.reason ?? 'by the user')}`;
    case 'warm_start': {
      const layers = [...new Set((Array.isArray(p.layers) ? p.layers : []).map((l) => String(l).split('/')[0]))];
      return `warm start from run #${num(p.fromRun)}: ${layers.length} layer(s) copied (${layers.join(', ')})`;
    }
    case 'conv_algorithms':
      return `convolutions (${String(p.algorithm)}), layer shapes per way: ${describeConvChoices((p.counts ?? {}) as ConvChoiceCounts)}`;
    case 'note':
    case 'warning':
      return `${e.kind === 'warning' ? 'warning: ' : ''}${String(p.message ?? '')}`;
    default:
      return `${e.kind}${Object.keys(p).length ? `: ${JSON.stringify(p)}` : ''}`;
  }
}

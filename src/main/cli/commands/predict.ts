// `vgglab predict RUN FILE…`: "Try the model" from the terminal — each image's five most probable
// classes under the run's final weights (or a chosen checkpoint) and a test protocol. A file that
// cannot be read is named with the reason, the others are still classified, and the exit code is 1.
import path from 'node:path';
import type { CheckpointChoice, ProtocolName } from '../../../shared/domain';
import { pct, weightsLabel } from '../../../shared/format';
import { call, printJson, withApp, type Globals } from './common';

export function predictCommand(g: Globals, id: number, files: string[], opts: { protocol: ProtocolName; scales?: number[]; checkpoint: CheckpointChoice; json?: boolean }): Promise<number> {
  return withApp(g, async (app) => {
    const out = await call(app, 'runs.predict', { id, files: files.map((f) => path.resolve(f)), protocol: opts.protocol, scales: opts.scales, checkpoint: opts.checkpoint });
    const failed = out.results.filter((r) => 'error' in r).length;
    if (opts.json) printJson(out);
    else {
      console.log(`run ${id}: ${out.protocol} at Q = ${out.scales.join(', ')}, ${weightsLabel(out.checkpoint, true)}, ${out.backend}`);
      for (const [i, r] of out.results.entries()) {
        const name = files[i]!;
        if ('error' in r) console.log(`${name}: ${r.error}`);
        else console.log(`${name}: ${r.top.map((t) => `${t.name} ${pct(t.p)}`).join(', ')}`);
      }
      const ok = out.results.length - failed;
      console.log(`${ok} image${ok === 1 ? '' : 's'} classified in ${out.seconds.toFixed(2)} s (${(ok / Math.max(out.protocolSeconds, 1e-9)).toFixed(0)} images/s in the protocol)${failed ? `; ${failed} could not be read` : ''}`);
    }
    return failed ? 1 : 0;
  });
}

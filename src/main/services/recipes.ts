// The paper's chain as one experiment of several runs: A, then deeper nets warm-started from that A.
// (Table 3's study, which also follows, cancels and resumes as a whole, is services/studies.ts.)
import { ContractError } from '../../shared/contract';
import type { ConfigName, TrainParams } from '../../shared/domain';

/** What a recipe needs of the run service. */
interface Starter {
  start(params: TrainParams): Promise<{ id: number }>;
}

/** The paper's procedure as one experiment: A from scratch, then each deeper net warm-started from that A. */
export async function startChain(runs: Starter, base: Omit<TrainParams, 'config' | 'init'>, configs: ConfigName[]): Promise<{ ids: number[]; experiment: string }> {
  refuseSeriesOnCluster(base);
  const experiment = base.experiment ?? `paper chain ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const a = await runs.start({ ...base, config: 'A', init: 'glorot', experiment });
  const ids = [a.id];
  for (const config of configs.filter((c) => c !== 'A' && c !== 'A-LRN')) ids.push((await runs.start({ ...base, config, init: `from:${a.id}`, experiment })).id);
  return { ids, experiment };
}

/** The paper's chain warm-starts each net from one still training: not yet on the cluster. */
function refuseSeriesOnCluster(base: { on?: string }): void {
  if (base.on === 'cluster')
    throw new ContractError('the paper chain cannot run on the cluster yet (each net waits for the weights of one still training); run them on this machine, or queue A on the cluster and the deeper nets with --init from:A once it has finished', 'bad_request', [
      { field: 'on', message: 'the chain runs on this machine only' },
    ]);
}

// The paper's procedures as experiments of several runs: the chain (A, then deeper nets warm-started
// from that A) and the study (Table 3: A to E at S = 256, then C, D, E at S = 384 and with S jittered).
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

/**
 * The paper's Table 3 as one experiment on the chosen data, width and input size, its twelve rows:
 * A, A-LRN, B, C, D and E at S = 256, then C, D and E at S = 384, then C, D and E with S jittered in
 * [256, 512] (every scale in proportion to the crop). Warm starts as in the paper: B–E from that A
 * (its first four conv and three FC layers); each S = 384 net from its S = 256 counterpart, and each
 * jittered net from its S = 384 one (every layer), at a tenth of the rate (the paper's 10⁻³).
 */
export async function startStudy(runs: Starter, base: Omit<TrainParams, 'config' | 'init' | 'scale'>): Promise<{ ids: number[]; experiment: string }> {
  refuseSeriesOnCluster(base);
  const experiment = base.experiment ?? `paper study ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const input = base.inputSize ?? 32;
  const S = Math.round((256 * input) / 224);
  const fixed = String(S);
  const s384 = String(Math.round((384 * input) / 224));
  const jittered = `${S}:${Math.round((512 * input) / 224)}`;
  const { lr } = base;
  const a = await runs.start({ ...base, config: 'A', init: 'glorot', scale: fixed, experiment });
  const ids = [a.id, (await runs.start({ ...base, config: 'A-LRN', init: 'glorot', scale: fixed, experiment })).id];
  const fixedIds = new Map<ConfigName, number>();
  for (const config of ['B', 'C', 'D', 'E'] as const) {
    const { id } = await runs.start({ ...base, config, init: `from:${a.id}`, scale: fixed, experiment });
    fixedIds.set(config, id);
    ids.push(id);
  }
  const at384 = new Map<ConfigName, number>();
  for (const config of ['C', 'D', 'E'] as const) {
    const { id } = await runs.start({ ...base, config, init: `from:${fixedIds.get(config)}`, scale: s384, lr: lr / 10, experiment });
    at384.set(config, id);
    ids.push(id);
  }
  for (const config of ['C', 'D', 'E'] as const) ids.push((await runs.start({ ...base, config, init: `from:${at384.get(config)}`, scale: jittered, lr: lr / 10, experiment })).id);
  return { ids, experiment };
}

/** The paper's chain and study warm-start each net from one still training: not yet on the cluster. */
function refuseSeriesOnCluster(base: { on?: string }): void {
  if (base.on === 'cluster')
    throw new ContractError('the paper chain and study cannot run on the cluster yet (each net waits for the weights of one still training); run them on this machine, or queue A on the cluster and the deeper nets with --init from:A once it has finished', 'bad_request', [
      { field: 'on', message: 'the chain and study run on this machine only' },
    ]);
}

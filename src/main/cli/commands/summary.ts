// A run as the CLI prints it: train's and show's JSON keys (the CLI contract), and its one-line summary.
import type { RunDetail } from '../../../shared/domain';
import { fixed, pct } from '../../../shared/format';

export function summaryJson(run: RunDetail) {
  const s = run.summary;
  return {
    runId: run.id,
    status: run.status,
    config: run.config,
    dataset: run.dataset,
    backend: run.backend,
    device: run.device,
    epochs: s?.epochs ?? run.epoch,
    train: s?.train ?? { loss: null, top1: null },
    val: s?.val ?? { loss: null, top1: null, top5: null },
    lrDrops: s?.lrDrops ?? [],
    imagesPerSec: s?.imagesPerSec ?? null,
    data: s ? { train: s.data.train, val: s.data.val, classes: s.data.classes, skipped: s.data.skipped, ...(s.data.flip === undefined ? {} : { flip: s.data.flip }) } : { train: 0, val: 0, classes: 0, skipped: 0 },
    error: run.error,
    placement: run.placement,
    worker: run.worker,
  };
}

export function summaryLine(run: RunDetail): string {
  const s = run.summary;
  const parts = [`run ${run.id} ${run.status}`, `config ${run.config}`, `backend ${run.backend ?? '-'} (${run.device ?? '-'})`];
  if (run.placement === 'cluster') parts.push(`on the cluster${run.worker ? `, worker ${run.worker}` : ''}`);
  if (s) {
    parts.push(`epochs ${s.epochs}`, `train loss ${fixed(s.train.loss, 4)} top1 ${pct(s.train.top1)}`, `val loss ${fixed(s.val.loss, 4)} top1 ${pct(s.val.top1)} top5 ${pct(s.val.top5)}`);
    if (s.imagesPerSec) parts.push(`${s.imagesPerSec.toFixed(1)} images/s`);
    if (s.lrDrops.length) parts.push(`lr drops at epochs ${s.lrDrops.map((d) => d.epoch).join(',')}`);
  }
  if (run.error) parts.push(`error: ${run.error}`);
  return parts.join(' | ');
}

// The paper's own results (ILSVRC-2012 validation, error %), Tables 3–6, for side-by-side rows.
import type { ConfigName } from './domain';

export interface PaperRow {
  table: string;
  configs: string;
  /** Training scale: a fixed S, or jittered [256, 512]. */
  trainScale: '256' | '384' | '256-512';
  testScales: 'single' | 'multi';
  protocol: 'dense' | 'multicrop' | 'dense+multicrop';
  top1Error: number;
  top5Error: number;
}

const t3 = (configs: string, trainScale: PaperRow['trainScale'], top1: number, top5: number): PaperRow => ({ table: 'Table 3', configs, trainScale, testScales: 'single', protocol: 'dense', top1Error: top1, top5Error: top5 });
const t4 = (configs: string, trainScale: PaperRow['trainScale'], top1: number, top5: number): PaperRow => ({ table: 'Table 4', configs, trainScale, testScales: 'multi', protocol: 'dense', top1Error: top1, top5Error: top5 });

export const PAPER_ROWS: PaperRow[] = [
  t3('A', '256', 29.6, 10.4),
  t3('A-LRN', '256', 29.7, 10.5),
  t3('B', '256', 28.7, 9.9),
  t3('C', '256', 28.1, 9.4),
  t3('C', '384', 28.1, 9.3),
  t3('C', '256-512', 27.3, 8.8),
  t3('D', '256', 27.0, 8.8),
  t3('D', '384', 26.8, 8.7),
  t3('D', '256-512', 25.6, 8.1),
  t3('E', '256', 27.3, 9.0),
  t3('E', '384', 26.9, 8.7),
  t3('E', '256-512', 25.5, 8.0),
  t4('B', '256', 28.2, 9.6),
  t4('C', '256', 27.7, 9.2),
  t4('C', '384', 27.8, 9.2),
  t4('C', '256-512', 26.3, 8.2),
  t4('D', '256', 26.6, 8.6),
  t4('D', '384', 26.5, 8.6),
  t4('D', '256-512', 24.8, 7.5),
  t4('E', '256', 26.9, 8.7),
  t4('E', '384', 26.7, 8.6),
  t4('E', '256-512', 24.8, 7.5),
  { table: 'Table 5', configs: 'D', trainScale: '256-512', testScales: 'multi', protocol: 'multicrop', top1Error: 24.6, top5Error: 7.5 },
  { table: 'Table 5', configs: 'D', trainScale: '256-512', testScales: 'multi', protocol: 'dense+multicrop', top1Error: 24.4, top5Error: 7.2 },
  { table: 'Table 5', configs: 'E', trainScale: '256-512', testScales: 'multi', protocol: 'multicrop', top1Error: 24.6, top5Error: 7.4 },
  { table: 'Table 5', configs: 'E', trainScale: '256-512', testScales: 'multi', protocol: 'dense+multicrop', top1Error: 24.4, top5Error: 7.1 },
  { table: 'Table 6', configs: 'D+E', trainScale: '256-512', testScales: 'multi', protocol: 'dense', top1Error: 24.0, top5Error: 7.1 },
  { table: 'Table 6', configs: 'D+E', trainScale: '256-512', testScales: 'multi', protocol: 'multicrop', top1Error: 23.9, top5Error: 7.2 },
  { table: 'Table 6', configs: 'D+E', trainScale: '256-512', testScales: 'multi', protocol: 'dense+multicrop', top1Error: 23.7, top5Error: 6.8 },
];

/**
 * The paper's training scale a run corresponds to, from its real S relative to its crop: the paper
 * cropped 224 from S = 256 or 384, or from S jittered in [256, 512]. A fixed S at least midway
 * between 256 and 384 (in proportion to the crop) is a 384 run; any other fixed S sits with 256.
 */
export function paperScaleOf(scale: { min: number; max: number }, inputSize: number): PaperRow['trainScale'] {
  if (scale.min < scale.max) return '256-512';
  return (scale.max * 224) / inputSize >= 320 ? '384' : '256';
}

/** Paper rows with the same configuration(s), training scale, test-scale count and protocol. */
export function matchingPaperRows(configs: ConfigName[], trainScale: PaperRow['trainScale'], multiScale: boolean, protocol: string): PaperRow[] {
  const key = [...configs].sort().join('+');
  return PAPER_ROWS.filter((r) => r.configs === key && r.trainScale === trainScale && r.testScales === (multiScale ? 'multi' : 'single') && r.protocol === protocol);
}

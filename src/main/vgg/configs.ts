// Table 1 of the paper as data. Numbers are 3×3 conv widths, 'M' a 2×2/2 max-pool,
// 'LRN' AlexNet's local response normalisation, and `1x1:N` a 1×1 conv of width N.
import type { ConfigName } from '../../shared/domain';

export type LayerSpec = number | 'M' | 'LRN' | `1x1:${number}`;

const M = 'M' as const;
const pw = (n: number): LayerSpec => `1x1:${n}`;

export const VGG_CONFIGS: Record<ConfigName, readonly LayerSpec[]> = {
  A: [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
  'A-LRN': [64, 'LRN', M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
  B: [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
  C: [64, 64, M, 128, 128, M, 256, 256, pw(256), M, 512, 512, pw(512), M, 512, 512, pw(512), M],
  D: [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M],
  E: [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M],
};

export const PAPER_FC_WIDTH = 4096;

/** AlexNet's LRN settings, as used by A-LRN. */
export const LRN_SETTINGS = { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 } as const;

export interface ModelShape {
  config: ConfigName;
  inputSize: number;
  width: number;
  classes: number;
  fcWidth?: number;
}

/** One conv or fc layer of a built network, with the names checkpoints and warm starts rely on. */
export interface WeightLayer {
  name: string;
  kind: 'conv' | 'fc';
  kernel: number;
  inChannels: number;
  outChannels: number;
  /** Spatial side of the layer's output (1 for fc). */
  outSide: number;
}

export const scaled = (n: number, width: number): number => Math.max(1, Math.round(n * width));

/** Every layer of a built network in order: weight layers with their shapes, and the rest by name. */
export type LayerDesc = WeightLayer | { kind: 'pool' | 'lrn' | 'flatten' | 'dropout'; name: string };

/**
 * Walks a configuration and names every layer — block{b}_conv{i}, block{b}_pool, block{b}_lrn,
 * flatten, fc1, fc1_dropout, fc2, fc2_dropout, predictions — the names checkpoints and warm starts
 * rely on. The model factory (model.ts) builds exactly these layers.
 */
export function describeLayers(shape: ModelShape): { layers: LayerDesc[]; weights: WeightLayer[]; all: string[] } {
  const spec = VGG_CONFIGS[shape.config];
  const layers: LayerDesc[] = [];
  let block = 1;
  let convInBlock = 0;
  let side = shape.inputSize;
  let channels = 3;
  for (const entry of spec) {
    if (entry === 'M') {
      layers.push({ kind: 'pool', name: `block${block}_pool` });
      side = Math.floor(side / 2);
      block += 1;
      convInBlock = 0;
    } else if (entry === 'LRN') {
      layers.push({ kind: 'lrn', name: `block${block}_lrn` });
    } else {
      const kernel = typeof entry === 'number' ? 3 : 1;
      const out = scaled(typeof entry === 'number' ? entry : Number(entry.slice(4)), shape.width);
      convInBlock += 1;
      layers.push({ name: `block${block}_conv${convInBlock}`, kind: 'conv', kernel, inChannels: channels, outChannels: out, outSide: side });
      channels = out;
    }
  }
  const fc = shape.fcWidth ?? scaled(PAPER_FC_WIDTH, shape.width);
  const flat = channels * side * side;
  layers.push(
    { kind: 'flatten', name: 'flatten' },
    { name: 'fc1', kind: 'fc', kernel: 1, inChannels: flat, outChannels: fc, outSide: 1 },
    { kind: 'dropout', name: 'fc1_dropout' },
    { name: 'fc2', kind: 'fc', kernel: 1, inChannels: fc, outChannels: fc, outSide: 1 },
    { kind: 'dropout', name: 'fc2_dropout' },
    { name: 'predictions', kind: 'fc', kernel: 1, inChannels: fc, outChannels: shape.classes, outSide: 1 },
  );
  const weights = layers.filter((l): l is WeightLayer => l.kind === 'conv' || l.kind === 'fc');
  return { layers, weights, all: layers.map((l) => l.name) };
}

/** Weight layers, parameters and forward FLOPs (2 × multiply-adds) per image, from the table alone. */
export function modelStats(shape: ModelShape): { weightLayers: number; params: number; flops: number; layers: string[] } {
  const { weights, all } = describeLayers(shape);
  let params = 0;
  let macs = 0;
  for (const w of weights) {
    const k = w.kernel * w.kernel * w.inChannels * w.outChannels;
    params += k + w.outChannels;
    macs += k * w.outSide * w.outSide;
  }
  return { weightLayers: weights.length, params, flops: 2 * macs, layers: all };
}

/**
 * Rough training memory per image: every layer's output is kept for the backward pass (conv, bias
 * add, ReLU: three tensors per conv), and each gets a gradient of the same size; 4 bytes a value.
 */
export function trainingBytesPerImage(shape: ModelShape): number {
  const { weights } = describeLayers(shape);
  let values = shape.inputSize * shape.inputSize * 3;
  for (const w of weights) {
    const out = w.outSide * w.outSide * w.outChannels;
    values += w.kind === 'conv' ? 3 * out : 3 * w.outChannels;
  }
  // Pools keep a quarter of their input; folded into a 1.25 factor.
  return Math.round(values * 1.25 * 2 * 4);
}

/** Weights, their gradients and momentum: three copies of every parameter. */
export function trainingBytesForParams(shape: ModelShape): number {
  return modelStats(shape).params * 4 * 3;
}

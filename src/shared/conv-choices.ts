// A run's convolution choices on the native backend (addon/src/choose.inc: each pass of each layer
// shape computed direct, by Winograd, on the turned-kernel route or in bf16), counted per pass for
// the run's `conv_algorithms` event, and said in words for its log and its page.
import type { ConvAlgorithm } from './names';

/** A run's convolution algorithm: runs recorded before the setting existed have none, and computed direct (a resume keeps that). */
export const convAlgorithmOf = (params: { convAlgorithm?: ConvAlgorithm }): ConvAlgorithm => params.convAlgorithm ?? 'direct';

export const CONV_PASSES = { fwd: 'forward', bwd_data: 'input gradient', bwd_weights: 'weight gradient' } as const;
type PassKey = keyof typeof CONV_PASSES;

/** For each pass, how many layer shapes took each way: { fwd: { winograd: 9, direct: 4 }, … }. */
export type ConvChoiceCounts = Partial<Record<PassKey, Record<string, number>>>;

/** Counts the addon's choices (key "pass:shape…|ways on offer" → the way taken). */
export function countConvChoices(choices: Record<string, string>): ConvChoiceCounts {
  const counts: ConvChoiceCounts = {};
  for (const [key, way] of Object.entries(choices)) {
    const pass = key.slice(0, key.indexOf(':')) as PassKey;
    if (!(pass in CONV_PASSES)) continue;
    const row = (counts[pass] ??= {});
    row[way] = (row[way] ?? 0) + 1;
  }
  return counts;
}

/** "forward: winograd 9, direct 4 · input gradient: … · weight gradient: …" (counts of layer shapes). */
export function describeConvChoices(counts: ConvChoiceCounts): string {
  return (Object.keys(CONV_PASSES) as PassKey[])
    .filter((p) => counts[p])
    .map((p) => `${CONV_PASSES[p]}: ${Object.entries(counts[p]!).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([way, n]) => `${way} ${n}`).join(', ')}`)
    .join(' · ');
}

// Top-1/top-5 error, per-class accuracy, confusion matrix and the most confident mistakes.
export interface EvalMetrics {
  count: number;
  top1Error: number;
  top5Error: number;
  perClassAccuracy: number[];
  confusion: number[][];
  /** `image`: the image as scored (centre square, 64 px PNG data: URL), added by the evaluation worker. */
  confidentMistakes: { index: number; label: number; predicted: number; confidence: number; image?: string }[];
}

/** Rank of the true class among the scores: ties count against the prediction (a tie is not a hit). */
export function rankOf(scores: ArrayLike<number>, label: number): number {
  const own = scores[label]!;
  let above = 0;
  for (let j = 0; j < scores.length; j++) if (j !== label && scores[j]! >= own) above += 1;
  return above;
}

export function computeMetrics(posteriors: ArrayLike<number>[], labels: ArrayLike<number>, classes: number, mistakes = 10): EvalMetrics {
  const n = posteriors.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let top1 = 0;
  let top5 = 0;
  const wrong: EvalMetrics['confidentMistakes'] = [];
  for (let i = 0; i < n; i++) {
    const p = posteriors[i]!;
    const label = labels[i]!;
    const rank = rankOf(p, label);
    // The prediction as top-1 counts it: the true class only where it scores above every other; where
    // it ties for the top, the first other class with the top score (a dead net's flat scores are a
    // miss for every class, as its top-1 error says, not a hit for class 0).
    let predicted = label;
    if (rank > 0) {
      predicted = label === 0 ? 1 : 0;
      for (let j = 0; j < classes; j++) if (j !== label && p[j]! > p[predicted]!) predicted = j;
    }
    confusion[label]![predicted]! += 1;
    if (rank === 0) top1 += 1;
    if (rank < Math.min(5, classes)) top5 += 1;
    if (predicted !== label) wrong.push({ index: i, label, predicted, confidence: p[predicted]! });
  }
  wrong.sort((a, b) => b.confidence - a.confidence);
  return {
    count: n,
    top1Error: 1 - top1 / n,
    top5Error: 1 - top5 / n,
    perClassAccuracy: confusion.map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total ? row[c]! / total : Number.NaN;
    }),
    confusion,
    confidentMistakes: wrong.slice(0, mistakes),
  };
}

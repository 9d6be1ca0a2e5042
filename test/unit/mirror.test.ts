// Dense evaluation's flip: images mirrored in a plain loop agree exactly with TF.js's reverse.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { mirror } from '../../src/main/evaluation/protocols';

describe('mirror', () => {
  it('equals tf.reverse along the width, for odd and even widths and several images', async () => {
    await tf.setBackend('cpu');
    for (const [n, h, w] of [[1, 1, 1], [2, 3, 5], [3, 4, 6]] as const) {
      const src = Float32Array.from({ length: n * h * w * 3 }, (_, i) => i * 0.5 - 7);
      const want = await tf.reverse(tf.tensor4d(src, [n, h, w, 3]), 2).data();
      expect(Array.from(mirror(src, n, h, w))).toEqual(Array.from(want));
    }
  });
});

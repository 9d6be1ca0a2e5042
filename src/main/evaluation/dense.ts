// Dense evaluation (paper, section 3.2): the FC layers become convolutions — fc1 a k×k conv
// (k = the last feature map's side at the training input size), fc2 and predictions 1×1 convs —
// built from the trained weights, so the whole uncropped image can go through the network.
import type * as TfCore from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Tf = typeof TfCore;

export function toFullyConvolutional(tf: Tf, model: tfl.LayersModel): tfl.LayersModel {
  const convPart = model.layers.slice(0, model.layers.findIndex((l) => l.name === 'flatten'));
  const last = convPart.at(-1)!;
  const [, k, , channels] = last.outputShape as number[];
  const input = tfl.input({ shape: [null, null, 3] as unknown as number[] });
  let x = input as tfl.SymbolicTensor;
  for (const layer of convPart) x = layer.apply(x) as tfl.SymbolicTensor;
  const fc = (name: string) => model.getLayer(name);
  const fc1 = fc('fc1');
  const fc2 = fc('fc2');
  const pred = fc('predictions');
  const units1 = (fc1.getWeights()[0]!.shape as number[])[1]!;
  const units2 = (fc2.getWeights()[0]!.shape as number[])[1]!;
  const classes = (pred.getWeights()[0]!.shape as number[])[1]!;
  const c1 = tfl.layers.conv2d({ name: 'fc1_conv', filters: units1, kernelSize: k!, padding: 'valid', activation: 'relu' });
  const c2 = tfl.layers.conv2d({ name: 'fc2_conv', filters: units2, kernelSize: 1, activation: 'relu' });
  const c3 = tfl.layers.conv2d({ name: 'predictions_conv', filters: classes, kernelSize: 1 });
  x = c3.apply(c2.apply(c1.apply(x))) as tfl.SymbolicTensor;
  const dense = tfl.model({ inputs: input, outputs: x });
  // Flatten is row-major over (h, w, c), so fc1's [k·k·C, units] kernel is exactly a [k, k, C, units] filter.
  const [w1, b1] = fc1.getWeights();
  c1.setWeights([tf.reshape(w1!, [k!, k!, channels!, units1]), b1!]);
  const [w2, b2] = fc2.getWeights();
  c2.setWeights([tf.reshape(w2!, [1, 1, units2, units2]), b2!]);
  const [w3, b3] = pred.getWeights();
  c3.setWeights([tf.reshape(w3!, [1, 1, units2, classes]), b3!]);
  return dense;
}

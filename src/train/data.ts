import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset, ImageSplit, InputAdapter } from './dataset';

export { adaptInputs, parseDataset, type ImageDataset, type ImageSplit, type InputAdapter } from './dataset';

/**
 * Builds one batch (normalised, adapted images as a float tensor, and one-hot labels) for the given
 * sample indices. The pixels are arranged on the host, so only one upload per tensor happens.
 */
export function makeBatch(dataset: ImageDataset, split: ImageSplit, indices: ArrayLike<number>, adapter: InputAdapter): { x: tf.Tensor; y: tf.Tensor2D; labels: Int32Array } {
  const { height: h, width: w, channels: c } = dataset;
  const n = indices.length;
  const shape = adapter.flatten ? [h * w * c] : adapter.modelShape;
  const perImage = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * perImage);
  const background = (0 - adapter.mean) / adapter.std; // padding is black, as in the images' own borders
  const labels = new Int32Array(n);
  const [mh, mw, mc] = adapter.flatten ? [h, w, c] : adapter.modelShape;
  for (let b = 0; b < n; b++) {
    const index = indices[b];
    labels[b] = split.labels[index];
    const out = b * perImage;
    if (mh !== h || mw !== w) data.fill(background, out, out + perImage);
    const source = index * h * w * c;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const value = (split.pixels[source + (y * w + x) * c + ch] / 255 - adapter.mean) / adapter.std;
          const base = out + ((y + adapter.padTop) * mw + (x + adapter.padLeft)) * mc;
          for (let r = 0; r < adapter.repeatChannels; r++) data[base + ch * adapter.repeatChannels + r] = value;
        }
      }
    }
  }
  return tf.tidy(() => ({
    x: tf.tensor(data, [n, ...shape]),
    y: tf.cast(tf.oneHot(tf.tensor1d(labels, "int32"), dataset.classes.length), "float32") as tf.Tensor2D,
    labels,
  }));
}

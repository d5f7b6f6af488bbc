import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset, ImageSplit, InputAdapter } from './dataset';

export { pairDataset } from './pairs';
export { adaptInputs, datasetForTraining, parseDataset, segmentationDataset, type ImageDataset, type ImageSplit, type InputAdapter } from './dataset';

/**
 * Builds one batch (normalised, adapted images as a float tensor, and one-hot labels) for the given
 * sample indices. The pixels are arranged on the host, so only one upload per tensor happens. For a
 * segmentation set `y` is one-hot per pixel, [n, H, W, classes] at the model's input size (padding is
 * background), and `labels` are the images' digits. For a pair set (mnist_pairs) `x` is
 * [n, 2, ...input] (example b's first and second image, for the model's first and second input) and `labels` are
 * the pairs' (1 same, 0 different).
 */
export function makeBatch(dataset: ImageDataset, split: ImageSplit, indices: ArrayLike<number>, adapter: InputAdapter): { x: tf.Tensor; y: tf.Tensor; labels: Int32Array } {
  const { height: h, width: w, channels: c } = dataset;
  const n = indices.length;
  const shape = adapter.flatten ? [h * w * c] : adapter.modelShape;
  const perImage = shape.reduce((a, b) => a * b, 1);
  const images = split.pairs ? [split.pairs.first, split.pairs.second] : [null];
  const data = new Float32Array(n * images.length * perImage);
  const background = (0 - adapter.mean) / adapter.std; // padding is black, as in the images' own borders
  const labels = new Int32Array(n);
  const [mh, mw, mc] = adapter.flatten ? [h, w, c] : adapter.modelShape;
  for (let b = 0; b < n; b++) {
    labels[b] = split.labels[indices[b]];
    for (let which = 0; which < images.length; which++) {
      const index = images[which]?.[indices[b]] ?? indices[b];
      const out = (b * images.length + which) * perImage;
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
  }
  const classes = dataset.classes.length;
  const target = dataset.segmentation ? pixelClasses(dataset, split, indices, adapter, dataset.segmentation.threshold) : labels;
  const targetShape = dataset.segmentation ? [n, adapter.modelShape[0], adapter.modelShape[1]] : [n];
  const xShape = split.pairs ? [n, images.length, ...shape] : [n, ...shape];
  return tf.tidy(() => ({ x: tf.tensor(data, xShape), y: tf.cast(tf.oneHot(tf.tensor(target, targetShape, 'int32'), classes), 'float32'), labels }));
}

/** Per-pixel classes [n, H, W] (row-major) at the model's input size: label + 1 where a pixel ≥ threshold, else 0. */
function pixelClasses(dataset: ImageDataset, split: ImageSplit, indices: ArrayLike<number>, adapter: InputAdapter, threshold: number): Int32Array {
  const { height: h, width: w } = dataset;
  const [mh, mw] = adapter.modelShape;
  const n = indices.length;
  const classes = new Int32Array(n * mh * mw);
  for (let b = 0; b < n; b++) {
    const index = indices[b];
    const digit = split.labels[index] + 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (split.pixels[index * h * w + y * w + x] >= threshold) classes[(b * mh + y + adapter.padTop) * mw + x + adapter.padLeft] = digit;
      }
    }
  }
  return classes;
}

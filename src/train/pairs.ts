import { PAIR_CLASSES } from '../core';
import type { ImageDataset, ImageSplit } from './dataset';
import { TrainError } from './errors';
import { SeededRandom } from './rng';

/**
 * The pair sets (`dataset: mnist_pairs`, `fashion_mnist_pairs`, src/core/pairs.ts) drawn from a bundled set's images.
 * python/skipnet_data.py (pair_split) draws the same pairs in the same order from the same seed, bit for bit.
 *
 * The rule, for a split of n images with classes 0..K-1 (docs/engines.md, "Pair sets"):
 * - n pairs; pair k is labelled 1 (same) for even k and 0 (different) for odd k, so exactly half are same when n
 *   is even (the training order is then shuffled as for any set);
 * - one mulberry32 stream (src/train/rng.ts) per split, seeded with the run's seed XOR PAIR_SEED_TRAIN for the
 *   training split and XOR PAIR_SEED_TEST for the held-out split, which draws from the held-out images only;
 * - the first image is ⌊u·n⌋ of the split; a same pair's second image is ⌊u·m⌋ of the m images of the first's
 *   class (in file order; it may be the first image itself); a different pair first draws the other class as
 *   ⌊u·(K'−1)⌋ of the K' classes present, skipping the first's, then its image as a same pair does.
 */

/** XOR-ed into the run's seed for the training pairs' stream ("pair" in ASCII). */
export const PAIR_SEED_TRAIN = 0x70616972;
/** XOR-ed into the run's seed for the held-out pairs' stream ("test" in ASCII). */
export const PAIR_SEED_TEST = 0x74657374;

/** Image indices of a split's pairs: `first[k]`, `second[k]` index the split's images; labels are 1 same, 0 different. */
export interface PairIndices {
  first: Int32Array;
  second: Int32Array;
}

/**
 * `split.count` pairs of `split`'s images by the rule above, drawn from mulberry32(`seed`). Returns a split whose
 * count and labels are the pairs' and whose pixels are still the images (indexed by `pairs`). Throws a TrainError
 * for a split with fewer than two classes present (no different pair exists).
 */
export function pairSplit(split: ImageSplit, classCount: number, seed: number, setName: string): ImageSplit {
  const n = split.count;
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < n; i++) byClass[split.labels[i]].push(i);
  const present = byClass.map((images, c) => (images.length > 0 ? c : -1)).filter((c) => c >= 0);
  if (n > 0 && present.length < 2) throw new TrainError(`Data set ${setName}: pairs need images of at least two classes; this split has ${present.length}.`, 'data');
  const random = new SeededRandom(seed);
  const first = new Int32Array(n);
  const second = new Int32Array(n);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const same = k % 2 === 0;
    const a = Math.floor(random.next() * n);
    const own = split.labels[a];
    let other = own;
    if (!same) {
      const index = Math.floor(random.next() * (present.length - 1));
      other = present[index >= present.indexOf(own) ? index + 1 : index];
    }
    const pool = byClass[other];
    first[k] = a;
    second[k] = pool[Math.floor(random.next() * pool.length)];
    labels[k] = same ? 1 : 0;
  }
  return { count: n, labels, pixels: split.pixels, pairs: { first, second } };
}

/**
 * A bundled set as its pair set for a run with `seed`: `mnist` becomes `mnist_pairs`, `fashion-mnist`
 * `fashion_mnist_pairs`; classes "different" and "same". Shares the pixel arrays. Throws a TrainError for a set
 * already paired or without classes.
 */
export function pairDataset(images: ImageDataset, seed: number): ImageDataset {
  if (images.pairs || images.segmentation || images.classes.length < 2) throw new TrainError(`Data set ${images.name}: pairs are drawn from a set of single images with at least two classes.`, 'data');
  const name = images.name === 'fashion-mnist' ? 'fashion_mnist_pairs' : `${images.name}_pairs`;
  const classes = images.classes.length;
  return {
    ...images,
    name,
    classes: [...PAIR_CLASSES],
    pairs: true,
    train: pairSplit(images.train, classes, (seed ^ PAIR_SEED_TRAIN) >>> 0, name),
    test: pairSplit(images.test, classes, (seed ^ PAIR_SEED_TEST) >>> 0, name),
  };
}

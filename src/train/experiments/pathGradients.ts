/**
 * Gradient magnitude at the input by path length (Veit, Wilber & Belongie 2016, "Residual Networks Behave
 * Like Ensembles of Relatively Shallow Networks", §4.2 and Fig. 6). A ResNet with n residual blocks is a
 * collection of 2^n paths; a path of length k enters k residual branches and takes the skip connection of
 * the other n − k blocks. The paper's sampling method: run the forward pass as usual, then run the
 * backward pass through one path only (at each residual add the gradient goes either to the branch or to
 * the skip, never both), and take the norm of the gradient that reaches the input. The mean over sampled
 * paths of length k, times the number of such paths C(n, k), is the total gradient magnitude of length k.
 *
 * The forward values are those of the whole network (the masks act on the backward only, through a stop
 * gradient on the other input of each add), so the 2^n path gradients of a chain of residual blocks sum to
 * the network's own input gradient. DOM-free: the training worker and Node tests run it alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '../../core';
import type { ForwardResult, TfModel } from '../model';
import { SeededRandom } from '../rng';
import { crossEntropy } from '../step';
import { binomial, residualAdds, type PathLengthGradient } from './pathPlan';

export { binomial, residualAdds, type PathLengthGradient, type ResidualAdd } from './pathPlan';

/** The value of x forward, no gradient backward (tfjs has no stop-gradient op). */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(Array.isArray(dy) ? dy[0] : dy) };
});

/** The forward pass with, at each residual add, the gradient kept on `through` (branch or skip) only. */
function maskedForward(model: TfModel, x: tf.Tensor, masks: ReadonlyMap<string, number>): tf.Tensor {
  const activations = new Map<string, tf.Tensor>();
  const batchStats: ForwardResult['batchStats'] = new Map();
  const graph = model.graph;
  for (const node of graph.nodes as readonly GraphNode[]) {
    if (node.kind === 'input') {
      activations.set(node.id, model.inputValue(x, node.id));
      continue;
    }
    const through = masks.get(node.id);
    const inputs = node.inputs.map((id, index) => {
      const value = activations.get(id)!;
      return through === undefined || index === through ? value : (stopGradient(value) as tf.Tensor);
    });
    // Evaluation mode: the running statistics, so every path's forward is the same function of the input.
    activations.set(node.id, model.applyNode(node, inputs, { training: false }, batchStats));
  }
  const output = graph.nodeById.get(graph.output);
  return activations.get(output && output.kind === 'softmax' ? output.inputs[0] : graph.output)!;
}

/**
 * ‖t‖₂ without overflow: tf.norm squares in float32, so any element above √(3.4e38) ≈ 1.8e19 (a deep plain net's
 * input gradient reaches that) turns the sum of squares, and with it the norm, into Infinity although the norm
 * itself is far below the float32 limit. Scaling by the largest magnitude m first, ‖t‖ = m·‖t / m‖, keeps every
 * square in [0, 1] (the LAPACK dnrm2 remedy); the product is taken in float64. Returns 0 for an all-zero tensor and
 * NaN when t holds a NaN. Must run inside tf.tidy (its intermediates are not disposed here).
 */
export function euclideanNorm(t: tf.Tensor): number {
  const largest = tf.max(tf.abs(t)).dataSync()[0];
  if (!(largest > 0) || !Number.isFinite(largest)) return largest === 0 ? 0 : largest;
  return largest * tf.norm(tf.div(t, largest)).dataSync()[0];
}

/** k distinct indices of 0..n−1 drawn with `random` (a partial Fisher–Yates shuffle). */
function drawSubset(n: number, k: number, random: SeededRandom): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random.next() * (n - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, k);
}

/** Every k-subset of 0..n−1 in lexicographic order. */
export function allSubsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, chosen: number[]): void => {
    if (chosen.length === k) return void out.push([...chosen]);
    // Only starts that leave enough indices to complete the subset: the walk then visits C(n, k) leaves and no dead
    // branch, so k near n stays cheap (without the bound, C(54, 54) = 1 subset costs about 2^54 calls).
    for (let i = start; i <= n - (k - chosen.length); i++) walk(i + 1, [...chosen, i]);
  };
  walk(0, []);
  return out;
}

export interface PathGradientOptions {
  /** Paths sampled per length (all of them where there are fewer); default 4. */
  samples?: number;
  /** Seed of the path draws; default 1. */
  seed?: number;
}

/**
 * Gradient magnitude at the input by path length for `model` on images `x` [N, H, W, C] with one-hot labels
 * `y` [N, classes]: for each length k = 0..n (n = residual adds), up to `samples` paths of that length
 * (all when C(n, k) ≤ samples, else drawn), each a backward pass through that path only. Frees every
 * tensor it makes. A model without residual adds has the one path of length 0 (the network itself).
 */
export function pathGradients(model: TfModel, x: tf.Tensor, y: tf.Tensor, options: PathGradientOptions = {}): PathLengthGradient[] {
  const adds = residualAdds(model.graph);
  const n = adds.length;
  const samples = Math.max(1, Math.floor(options.samples ?? 4));
  const random = new SeededRandom(options.seed ?? 1);
  const result: PathLengthGradient[] = [];
  for (let k = 0; k <= n; k++) {
    const paths = binomial(n, k);
    const subsets = paths <= samples ? allSubsets(n, k) : Array.from({ length: samples }, () => drawSubset(n, k, random));
    let sum = 0;
    for (const subset of subsets) {
      const chosen = new Set(subset);
      const masks = new Map(adds.map((add, i) => [add.id, chosen.has(i) ? add.branch : add.skip]));
      const norm = tf.tidy(() => {
        const gradient = tf.grad((input: tf.Tensor) => crossEntropy(maskedForward(model, input, masks), y))(x);
        return euclideanNorm(gradient);
      });
      sum += norm;
    }
    const meanNorm = sum / subsets.length;
    result.push({ length: k, paths, sampled: subsets.length, meanNorm, total: paths * meanNorm });
  }
  return result;
}

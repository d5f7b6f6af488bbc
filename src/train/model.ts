import * as tf from '@tensorflow/tfjs-core';
import { isSymbol, resolvePadding, type GraphNode, type ModelGraph, type Padding, type Value } from '../core';
import { asMaps, avgPool, avgPoolCeil, batchNorm, ceilExtra, concatChannels, conv2d, convTranspose2d, dropoutRows, gelu, maxPool, softmaxAxis, upsample, zeroPadShortcut } from './ops';
import { initialParameters, pairOf, type ParamRole } from './init';
import { SeededRandom } from './rng';
import { type AttentionDropout, denseLastAxis, layerNorm, meanTokens, patchify, prependClassToken, selectToken, selfAttention } from './sequenceOps';
import { TrainError } from './errors';

export { pairOf, TrainError, type ParamRole };

/**
 * A TensorFlow.js model built from the core's expanded graph: our own variables and a functional
 * forward pass over the nodes in graph order, so that every intermediate output (and, through
 * probes, every intermediate gradient) is reachable for statistics.
 */


export interface ModelParam {
  /** `${node id}/${role}`: unique, stable, and the key used by optimizers and exported weights. */
  name: string;
  node: string;
  role: ParamRole;
  variable: tf.Variable;
}

export interface RunningStats {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
  eps: number;
}

export interface ForwardOptions {
  training: boolean;
  /**
   * Zero tensors added to a node's output (key `node:ID`) or to one input of a node (key `edge:ID:INDEX`).
   * Their gradients are the gradients at that point, which is how merge gradient flow is measured.
   */
  probes?: ReadonlyMap<string, tf.Tensor>;
  /** Dropout masks are drawn from this source (a fresh tfjs seed per layer and call). */
  random?: SeededRandom;
  /**
   * Dropout seeds by layer id: a layer with an entry uses it, one without draws from `random` and records it,
   * so a second pass over the same batch (a recomputed segment) drops the same activations.
   */
  dropoutSeeds?: Map<string, number>;
  /**
   * This input is rows [start, start + n) of a batch of `total` images (a data-parallel replica's slice):
   * dropout masks are drawn for the whole batch and cut, so every replica drops what one worker would.
   */
  rows?: { start: number; total: number };
  /**
   * Multipliers on single inputs of nodes, key `edge:ID:INDEX` (as probes): 0 replaces that input by zeros of its
   * shape, which is how a lesion study removes a residual branch or a dense layer's new channels without touching
   * the weights (Veit, Wilber & Belongie 2016, Sec. 4). Inputs without an entry pass unchanged.
   */
  gates?: ReadonlyMap<string, number>;
}

export interface ForwardResult {
  /** The model's output node's value. */
  output: tf.Tensor;
  /** Pre-softmax scores used by the loss (the input of a final softmax, or the output itself). */
  logits: tf.Tensor;
  /** Every node's output by id (the input batch under 'input'). */
  activations: Map<string, tf.Tensor>;
  /** Batch mean and variance of each bn layer (training only). */
  batchStats: Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>;
}


/**
 * Padding per side from `pad=` (N, HxW, `same` or `valid`), resolved by the core's own rule. Throws a
 * TrainError for what the core refuses (`same` with a stride), which a checked graph never holds.
 */
export function paddingOf(value: Value | undefined, kernel: [number, number], stride: [number, number], dilation: number): Padding {
  const resolved = resolvePadding(value, kernel, stride, dilation);
  if (!resolved.ok) throw new TrainError(resolved.message, 'incomplete-model');
  return resolved.padding;
}

/** Kernel, stride (default: the kernel) and padding per side of a maxpool or avgpool node. */
export function poolWindow(node: GraphNode): { kernel: [number, number]; stride: [number, number]; pad: Padding } {
  const kernel = pairOf(node.args.kernel, 1);
  const written = node.args.stride;
  const stride = written && typeof written === 'object' && 'symbol' in written ? kernel : pairOf(written, kernel[0]);
  return { kernel, stride, pad: paddingOf(node.args.pad, kernel, stride, 1) };
}

function numberArg(node: GraphNode, name: string, fallback: number): number {
  const value = node.args[name];
  return typeof value === 'number' ? value : fallback;
}

/**
 * The layer kinds this engine builds and trains (every case of `applyNode`, plus the input), the sequence layers of
 * the Vision Transformer (patchify, cls_token, pos_embed, layernorm, attention, token, mean_tokens) included. A
 * model with another kind is refused when it is built, before any variable exists, instead of at its first forward pass.
 */
export const TRAINABLE_KINDS: ReadonlySet<string> = new Set([
  'input', 'conv', 'convtranspose', 'dense', 'bn', 'relu', 'leakyrelu', 'gelu', 'sigmoid', 'tanh', 'softmax', 'relu6', 'silu', 'hardswish', 'hardsigmoid',
  'upsample', 'maxpool', 'avgpool', 'gap', 'flatten', 'dropout', 'identity', 'zeropad', 'add', 'concat', 'mul', 'gate',
  'patchify', 'cls_token', 'pos_embed', 'layernorm', 'attention', 'token', 'mean_tokens',
]);

export class TfModel {
  readonly params: ModelParam[] = [];
  readonly paramsByNode = new Map<string, ModelParam[]>();
  readonly running = new Map<string, RunningStats>();
  /** The node whose output is the loss's logits. */
  readonly logitsNode: string;
  private readonly consumers = new Map<string, number>();
  private disposed = false;

  constructor(
    readonly graph: ModelGraph,
    seed: number,
  ) {
    if (!graph.complete) throw new TrainError(`Model ${graph.name} has errors that leave some shapes unknown; fix them before training.`, 'incomplete-model');
    for (const node of graph.nodes) {
      if (!TRAINABLE_KINDS.has(node.kind)) throw new TrainError(`Layer ${node.id}: training does not support '${node.kind}' layers. Its counts, graph and PyTorch export are complete.`, 'unsupported');
      if (!node.shape) throw new TrainError(`Layer ${node.id} has no known shape.`, 'incomplete-model');
      for (const input of node.inputs) this.consumers.set(input, (this.consumers.get(input) ?? 0) + 1);
      if (node.kind === 'bn' && node.sharedWith === null) this.addRunningStats(node);
    }
    for (const p of initialParameters(graph, seed)) this.addParam(p.node, p.role, p.shape, p.values);
    // A tied layer applies its original's variables: gradients from every application add up on them.
    for (const node of graph.nodes) if (node.sharedWith !== null && this.paramsByNode.has(node.sharedWith)) this.paramsByNode.set(node.id, this.paramsByNode.get(node.sharedWith)!);
    const output = graph.nodeById.get(graph.output);
    this.logitsNode = output && output.kind === 'softmax' ? output.inputs[0] : graph.output;
  }

  /**
   * The running statistics a bn node updates: its own, or for a tied bn (`shared(label)`) its original's, which
   * PyTorch updates once per call, in call order.
   */
  runningFor(id: string): RunningStats {
    const node = this.graph.nodeById.get(id);
    const running = this.running.get(node?.sharedWith ?? id);
    if (!running) throw new TrainError(`Layer ${id} has no running statistics.`, 'unsupported');
    return running;
  }

  /** Number of trainable parameters (equals the core's totals.params). */
  get paramCount(): number {
    return this.params.reduce((sum, p) => sum + p.variable.size, 0);
  }

  get variables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  private shapeOf(id: string): number[] {
    const node = this.graph.nodeById.get(id);
    if (!node?.shape) throw new TrainError(`Layer ${id} has no known shape.`, 'incomplete-model');
    return node.shape;
  }

  private addParam(node: string, role: ParamRole, shape: number[], values: Float32Array): void {
    // tidy frees the initial tensor; variable names stay engine-generated so several models can coexist.
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
    const param: ModelParam = { name: `${node}/${role}`, node, role, variable };
    this.params.push(param);
    const list = this.paramsByNode.get(node) ?? [];
    list.push(param);
    this.paramsByNode.set(node, list);
  }

  private addRunningStats(node: GraphNode): void {
    const channels = node.shape!.at(-1)!;
    this.running.set(node.id, {
      mean: tf.tidy(() => tf.variable(tf.zeros([channels]), false)),
      variance: tf.tidy(() => tf.variable(tf.ones([channels]), false)),
      momentum: numberArg(node, 'momentum', 0.1),
      eps: numberArg(node, 'eps', 1e-5),
    });
  }

  /**
   * Runs the graph on a batch [N, ...inputShape], or for a model with several inputs on [N, inputs, ...inputShape]
   * (makeBatch's pairs: example n's i-th image feeds the i-th input declared). Call inside tf.tidy (or a gradient
   * function). Throws a TrainError when the batch does not hold one image per input.
   */
  forward(input: tf.Tensor, options: ForwardOptions): ForwardResult {
    if (this.disposed) throw new TrainError('The model was disposed.', 'unsupported');
    const fed = this.feed(input);
    const activations = new Map<string, tf.Tensor>();
    const batchStats = new Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>();
    const { probes, gates } = options;
    for (const node of this.graph.nodes) {
      let value: tf.Tensor;
      if (node.kind === 'input') value = fed.get(node.id)!;
      else {
        const inputs = node.inputs.map((id, index) => {
          const key = `edge:${node.id}:${index}`;
          let source = activations.get(id)!;
          const gate = gates?.get(key);
          // Exact zeros for a removed input: a branch that overflowed must not leak NaN (0 × ∞) into the sum.
          if (gate !== undefined) source = gate === 0 ? tf.zerosLike(source) : tf.mul(source, gate);
          const probe = probes?.get(key);
          return probe ? tf.add(source, probe) : source;
        });
        value = this.applyNode(node, inputs, options, batchStats);
      }
      const probe = probes?.get(`node:${node.id}`);
      activations.set(node.id, probe ? tf.add(value, probe) : value);
    }
    return { output: activations.get(this.graph.output)!, logits: activations.get(this.logitsNode)!, activations, batchStats };
  }

  /** Each input node's value: the batch, or its slice along axis 1 for a model with several inputs. */
  private feed(input: tf.Tensor): Map<string, tf.Tensor> {
    const { inputs } = this.graph;
    if (inputs.length === 1) return new Map([[inputs[0], input]]);
    this.checkFed(input);
    const parts = tf.unstack(input, 1);
    return new Map(inputs.map((id, i) => [id, parts[i]]));
  }

  /**
   * The value of input node `id` in a batch as forward() takes it ([N, ...] or [N, inputs, ...]), for code that runs
   * the nodes itself (syncstep.ts's segments). Call inside tf.tidy. Throws a TrainError as forward() does.
   */
  inputValue(input: tf.Tensor, id: string): tf.Tensor {
    const { inputs } = this.graph;
    if (inputs.length === 1) return input;
    this.checkFed(input);
    return tf.squeeze(tf.slice(input, [0, inputs.indexOf(id)], [-1, 1]), [1]);
  }

  private checkFed(input: tf.Tensor): void {
    const { inputs } = this.graph;
    if (input.shape[1] !== inputs.length) throw new TrainError(`Model ${this.graph.name} has ${inputs.length} inputs (${inputs.join(', ')}) but the batch holds ${input.shape[1]} image${input.shape[1] === 1 ? '' : 's'} per example.`, 'data');
  }

  private weight(node: GraphNode, role: ParamRole): tf.Variable | undefined {
    return this.paramsByNode.get(node.id)?.find((p) => p.role === role)?.variable;
  }

  /**
   * One layer on its input values ([N, ...shape] each), as in forward(); a training bn records its batch
   * mean and variance in `batchStats`. Call inside tf.tidy (or a gradient function).
   */
  applyNode(node: GraphNode, inputs: tf.Tensor[], options: ForwardOptions, batchStats: ForwardResult['batchStats']): tf.Tensor {
    const [x] = inputs;
    switch (node.kind) {
      case 'conv': {
        const dilation = numberArg(node, 'dilation', 1);
        const stride = pairOf(node.args.stride, 1);
        let y: tf.Tensor = conv2d(x as tf.Tensor4D, this.weight(node, 'kernel') as tf.Tensor4D, {
          stride,
          pad: paddingOf(node.args.pad, pairOf(node.args.kernel, 1), stride, dilation),
          dilation,
          groups: numberArg(node, 'groups', 1),
        });
        const bias = this.weight(node, 'bias');
        if (bias) y = tf.add(y, bias);
        return y;
      }
      case 'convtranspose': {
        let y: tf.Tensor = convTranspose2d(x as tf.Tensor4D, this.weight(node, 'kernel') as tf.Tensor4D, {
          stride: pairOf(node.args.stride, 1),
          pad: pairOf(node.args.pad, 0),
          outputPad: pairOf(node.args.output_pad, 0),
          dilation: numberArg(node, 'dilation', 1),
          groups: numberArg(node, 'groups', 1),
        });
        const bias = this.weight(node, 'bias');
        if (bias) y = tf.add(y, bias);
        return y;
      }
      case 'dense':
        // On a sequence, per token (nn.Linear on the last axis).
        return denseLastAxis(x, this.weight(node, 'kernel') as tf.Tensor2D, this.weight(node, 'bias') as tf.Tensor1D | undefined);
      case 'patchify':
        return patchify(x as tf.Tensor4D, this.weight(node, 'kernel') as tf.Tensor4D, this.weight(node, 'bias') as tf.Tensor1D);
      case 'cls_token':
        return prependClassToken(x as tf.Tensor3D, this.weight(node, 'class_token') as tf.Tensor1D);
      case 'pos_embed':
        return tf.add(x, this.weight(node, 'pos_embedding')!);
      case 'layernorm':
        return layerNorm(x, this.weight(node, 'gamma') as tf.Tensor1D, this.weight(node, 'beta') as tf.Tensor1D, numberArg(node, 'eps', 1e-5));
      case 'attention': {
        const p = numberArg(node, 'dropout', 0);
        let dropout: AttentionDropout | undefined;
        if (options.training && p > 0) {
          const seed = options.dropoutSeeds?.get(node.id) ?? (options.random ?? new SeededRandom(1)).int();
          options.dropoutSeeds?.set(node.id, seed);
          dropout = { p, seed, start: options.rows?.start ?? 0, total: options.rows?.total ?? x.shape[0] };
        }
        const weights = {
          inKernel: this.weight(node, 'in_proj_kernel') as tf.Tensor2D,
          inBias: this.weight(node, 'in_proj_bias') as tf.Tensor1D,
          outKernel: this.weight(node, 'out_proj_kernel') as tf.Tensor2D,
          outBias: this.weight(node, 'out_proj_bias') as tf.Tensor1D,
        };
        return selfAttention(x as tf.Tensor3D, numberArg(node, 'heads', 1), weights, dropout);
      }
      case 'token':
        return selectToken(x as tf.Tensor3D, numberArg(node, 'index', 0));
      case 'mean_tokens':
        return meanTokens(x as tf.Tensor3D);
      case 'bn': {
        const running = this.runningFor(node.id);
        const result = batchNorm(x, this.weight(node, 'gamma')!, this.weight(node, 'beta')!, running, running.eps, options.training);
        if (result.mean && result.variance) batchStats.set(node.id, { mean: result.mean, variance: result.variance });
        return result.output;
      }
      case 'relu':
        return tf.relu(x);
      case 'leakyrelu':
        return tf.leakyRelu(x, numberArg(node, 'alpha', 0.01));
      case 'gelu':
        return gelu(x);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'tanh':
        return tf.tanh(x);
      case 'softmax': {
        const axis = numberArg(node, 'axis', -1);
        // The axis of H×W×C (or of a flat tensor) without the batch: tensor axis + 1.
        return softmaxAxis(x, (axis < 0 ? axis + x.rank - 1 : axis) + 1);
      }
      case 'relu6':
        return tf.clipByValue(x, 0, 6);
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
      case 'hardswish':
        return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
      case 'hardsigmoid':
        return tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6);
      case 'upsample':
        return upsample(x as tf.Tensor4D, pairOf(node.args.scale, 1), isSymbol(node.args.mode ?? 0) && (node.args.mode as { symbol: string }).symbol === 'bilinear');
      case 'maxpool':
      case 'avgpool': {
        const { kernel, stride, pad } = poolWindow(node);
        const image = x as tf.Tensor4D;
        if (node.args.ceil === true) {
          const out: [number, number] = [node.shape![0], node.shape![1]];
          if (node.kind === 'avgpool') return avgPoolCeil(image, kernel, stride, pad, out);
          const [eh, ew] = ceilExtra([image.shape[1], image.shape[2]], out, kernel, stride, pad);
          return maxPool(image, kernel, stride, { ...pad, bottom: pad.bottom + eh, right: pad.right + ew });
        }
        return node.kind === 'maxpool' ? maxPool(image, kernel, stride, pad) : avgPool(image, kernel, stride, pad);
      }
      case 'gap':
        return tf.mean(x, [1, 2], node.args.keep === true);
      case 'flatten':
        return tf.reshape(x, [x.shape[0], -1]);
      case 'dropout': {
        const p = numberArg(node, 'p', 0.5);
        if (!options.training || p === 0) return x;
        const seed = options.dropoutSeeds?.get(node.id) ?? (options.random ?? new SeededRandom(1)).int();
        options.dropoutSeeds?.set(node.id, seed);
        return dropoutRows(x, p, seed, options.rows?.start ?? 0, options.rows?.total ?? x.shape[0]);
      }
      case 'identity':
        return x;
      case 'zeropad':
        return zeroPadShortcut(x as tf.Tensor4D, numberArg(node, 'channels', x.shape[3]!), numberArg(node, 'stride', 1));
      case 'add':
        return inputs.length === 2 ? tf.add(inputs[0], inputs[1]) : tf.addN(inputs);
      case 'concat':
        return concatChannels(inputs);
      case 'mul':
        return asMaps(inputs).reduce((product, factor) => tf.mul(product, factor));
      case 'gate': {
        // Highway: h·t + x·(1 − t).
        const [h, t, carried] = asMaps(inputs);
        return tf.add(tf.mul(h, t), tf.mul(carried, tf.sub(1, t)));
      }
      default:
        throw new TrainError(`Layer ${node.id}: training does not support '${node.kind}' layers.`, 'unsupported');
    }
  }

  /** Moves each bn layer's running statistics towards this batch's (PyTorch's rule, unbiased variance). */
  updateRunningStats(batchStats: ForwardResult['batchStats'], batchSize: number): void {
    tf.tidy(() => {
      for (const [id, stats] of batchStats) {
        const running = this.runningFor(id);
        const shape = this.shapeOf(id);
        const count = batchSize * shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const unbiased = count > 1 ? tf.mul(stats.variance, count / (count - 1)) : stats.variance;
        const m = running.momentum;
        running.mean.assign(tf.add(tf.mul(running.mean, 1 - m), tf.mul(stats.mean, m)));
        running.variance.assign(tf.add(tf.mul(running.variance, 1 - m), tf.mul(unbiased, m)));
      }
    });
  }

  /** Sets parameters (and running statistics, `ID/running_mean`, `ID/running_var`) by name; unknown names are an error. */
  loadWeights(values: Readonly<Record<string, ArrayLike<number>>>): void {
    const targets = new Map<string, tf.Variable>(this.params.map((p) => [p.name, p.variable]));
    for (const [id, r] of this.running) {
      targets.set(`${id}/running_mean`, r.mean);
      targets.set(`${id}/running_var`, r.variance);
    }
    for (const [name, data] of Object.entries(values)) {
      const variable = targets.get(name);
      if (!variable) throw new TrainError(`No parameter named ${name} in model ${this.graph.name}.`, 'unsupported');
      if (data.length !== variable.size) throw new TrainError(`${name} has ${variable.size} values, not ${data.length}.`, 'unsupported');
      tf.tidy(() => variable.assign(tf.tensor(Float32Array.from(data), variable.shape)));
    }
  }

  /** Number of nodes that read this node's output. */
  consumerCount(id: string): number {
    return this.consumers.get(id) ?? 0;
  }

  /** Every weight and running statistic as plain arrays (for checkpoints and the PyTorch reference). */
  async exportWeights(): Promise<Record<string, { shape: number[]; values: number[] }>> {
    const out: Record<string, { shape: number[]; values: number[] }> = {};
    for (const p of this.params) out[p.name] = { shape: p.variable.shape, values: Array.from(await p.variable.data()) };
    for (const [id, r] of this.running) {
      out[`${id}/running_mean`] = { shape: r.mean.shape, values: Array.from(await r.mean.data()) };
      out[`${id}/running_var`] = { shape: r.variance.shape, values: Array.from(await r.variance.data()) };
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) p.variable.dispose();
    for (const r of this.running.values()) {
      r.mean.dispose();
      r.variance.dispose();
    }
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '../core';
import type { ForwardOptions, ForwardResult, TfModel } from './model';
import type { BatchMoments, ShardPeer } from './shard';
import { crossEntropy, type StepGradients, type StepOptions } from './step';
import { syncBatchNormBackward, syncBatchNormForward, type SyncedBatchNorm } from './syncbn';

/**
 * One replica's training step with batch norm synchronised across the group (see syncbn.ts), so that the
 * group computes what one worker computes on the whole batch.
 *
 * A bn layer needs the whole batch's statistics before the layers after it can run, and the whole batch's
 * gradient sums before the layers before it can be differentiated; both are exchanges, which are
 * asynchronous, while a tfjs gradient tape is recorded by one synchronous function. So the graph is cut at
 * its bn layers into segments:
 * - forward: the segments run in graph order without a tape, each bn exchanging its moments in between,
 *   and every node's output is kept;
 * - backward: from the last segment to the first, each segment is run again under a tape from its kept
 *   inputs (the same dropout masks: seeds are replayed) and differentiated with the cotangents its outputs
 *   received from later segments (the gradient of Σ output·cotangent), and each bn's backward, between
 *   segments, exchanges its two gradient sums.
 * The price is one more forward pass of every layer and two exchanges per bn layer; the results equal the
 * single worker's up to float rounding (the loss is each replica's Σ over its images / whole batch size).
 */
export async function syncedGradients(model: TfModel, peer: ShardPeer, x: tf.Tensor, y: tf.Tensor, options: StepOptions & { rows: { start: number; total: number } }): Promise<StepGradients> {
  const owned: tf.Tensor[] = [];
  try {
    return await segmentedStep(model, peer, x, y, options, owned);
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }
}

function bnParams(model: TfModel, node: GraphNode): { gamma: tf.Variable; beta: tf.Variable; eps: number } {
  const params = model.paramsByNode.get(node.id)!;
  return { gamma: params.find((p) => p.role === 'gamma')!.variable, beta: params.find((p) => p.role === 'beta')!.variable, eps: model.runningFor(node.id).eps };
}

async function segmentedStep(model: TfModel, peer: ShardPeer, x: tf.Tensor, y: tf.Tensor, options: StepOptions & { rows: { start: number; total: number } }, owned: tf.Tensor[]): Promise<StepGradients> {
  const { probes } = options;
  const nodes = model.graph.nodes;
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const forwardOptions: ForwardOptions = { training: true, random: options.random, rows: options.rows, dropoutSeeds: new Map() };
  // applyNode records batch statistics only for bn layers, which never run through it here.
  const unused: ForwardResult['batchStats'] = new Map();
  const acts = new Map<string, tf.Tensor>();
  /** What each bn layer's forward left for its backward. */
  const normalised = new Map<string, SyncedBatchNorm>();
  // Probes (zeros) are added in the forward too, as model.forward adds them: a probed output is its own tensor.
  const probed = (t: tf.Tensor, key: string): tf.Tensor => {
    const probe = probes.get(key);
    return probe ? tf.add(t, probe) : t;
  };

  // Forward, without a tape: runs of ordinary layers between the bn layers' exchanges.
  for (let i = 0; i < nodes.length; ) {
    tf.tidy(() => {
      for (; i < nodes.length && nodes[i].kind !== 'bn'; i++) {
        const node = nodes[i];
        const inputs = node.inputs.map((id, index) => probed(acts.get(id)!, `edge:${node.id}:${index}`));
        const value = probed(node.kind === 'input' ? model.inputValue(x, node.id) : model.applyNode(node, inputs, forwardOptions, unused), `node:${node.id}`);
        acts.set(node.id, value === x ? x : own(tf.keep(value)));
      }
    });
    if (i === nodes.length) break;
    const node = nodes[i++];
    const input = own(probed(acts.get(node.inputs[0])!, `edge:${node.id}:0`));
    const { gamma, beta, eps } = bnParams(model, node);
    const synced = await syncBatchNormForward(peer, input, gamma, beta, eps);
    own(synced.output);
    own(synced.xhat);
    own(synced.mean);
    own(synced.variance);
    own(synced.invStd);
    normalised.set(node.id, synced);
    acts.set(node.id, own(probed(synced.output, `node:${node.id}`)));
  }

  // Backward: cotangents (∂loss/∂output) of the outputs that later segments or bn layers read.
  const cots = new Map<string, tf.Tensor>();
  const retained = new Set<tf.Tensor>();
  const release = (t: tf.Tensor): void => {
    if (!retained.has(t)) t.dispose();
  };
  // Every cotangent is also owned, so that an exchange that fails mid-step (another replica ended) leaks none.
  const addCot = (id: string, g: tf.Tensor): void => {
    const before = cots.get(id);
    if (!before) return void cots.set(id, own(g));
    cots.set(id, own(tf.add(before, g)));
    release(before);
    release(g);
  };
  const paramGrads = new Map<string, tf.Tensor>();
  const probeGrads = new Map<string, tf.Tensor>();
  const retain = (t: tf.Tensor): tf.Tensor => {
    retained.add(t);
    return own(t);
  };
  let loss: tf.Scalar | undefined;
  const bnPositions = nodes.flatMap((n, i) => (n.kind === 'bn' ? [i] : []));
  for (let k = bnPositions.length; k >= 0; k--) {
    const from = k === 0 ? 0 : bnPositions[k - 1] + 1;
    const to = k === bnPositions.length ? nodes.length : bnPositions[k];
    const last = k === bnPositions.length;
    const segment = nodes.slice(from, to);
    const inside = new Set(segment.map((n) => n.id));
    const outputs = segment.filter((n) => cots.has(n.id));
    if (last || outputs.length > 0) {
      // Outer tensors read by the segment, one id per tensor (identity layers pass their input's tensor on).
      const external = new Map<tf.Tensor, string>();
      const reads = segment.flatMap((n) => n.inputs).concat(last ? [model.logitsNode] : []);
      for (const id of reads) if (!inside.has(id) && ![...external.values()].includes(id) && !external.has(acts.get(id)!)) external.set(acts.get(id)!, id);
      const params = segment.flatMap((n) => model.paramsByNode.get(n.id) ?? []);
      const probeKeys = [...probes.keys()].filter((key) => inside.has(key.split(':')[1]));
      const outerTensors = [...external.keys()];
      const xs = [...outerTensors, ...params.map((p) => p.variable), ...probeKeys.map((key) => probes.get(key)!)];
      if (xs.length > 0) {
        const { value, grads } = tf.engine().gradients(
          () => {
            const local = new Map<string, tf.Tensor>();
            for (const id of reads) if (!inside.has(id)) local.set(id, acts.get(id)!);
            for (const node of segment) {
              const inputs = node.inputs.map((id, index) => probed(local.get(id)!, `edge:${node.id}:${index}`));
              const value = node.kind === 'input' ? model.inputValue(x, node.id) : model.applyNode(node, inputs, forwardOptions, unused);
              local.set(node.id, probed(value, `node:${node.id}`));
            }
            const terms = outputs.map((node) => tf.sum(tf.mul(local.get(node.id)!, cots.get(node.id)!)));
            if (last) terms.unshift(crossEntropy(local.get(model.logitsNode)!, y, options.rows.total));
            return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
          },
          xs,
          undefined,
          true,
        );
        if (last) loss = own(value);
        else value.dispose();
        for (const node of outputs) {
          release(cots.get(node.id)!);
          cots.delete(node.id);
        }
        outerTensors.forEach((t, j) => {
          if (grads[j]) addCot(external.get(t)!, grads[j]!);
        });
        params.forEach((p, j) => {
          const g = grads[outerTensors.length + j];
          if (g) paramGrads.set(p.name, own(g));
        });
        probeKeys.forEach((key, j) => {
          const g = grads[outerTensors.length + params.length + j];
          if (g) probeGrads.set(key, own(g));
        });
      }
    }
    if (k === 0) break;
    const bn = nodes[bnPositions[k - 1]];
    const dy = cots.get(bn.id);
    cots.delete(bn.id);
    if (!dy) continue;
    if (probes.has(`node:${bn.id}`)) probeGrads.set(`node:${bn.id}`, retain(dy));
    const { dx, dgamma, dbeta } = await syncBatchNormBackward(peer, dy, normalised.get(bn.id)!, bnParams(model, bn).gamma);
    release(dy);
    paramGrads.set(`${bn.id}/gamma`, own(dgamma));
    paramGrads.set(`${bn.id}/beta`, own(dbeta));
    if (probes.has(`edge:${bn.id}:0`)) probeGrads.set(`edge:${bn.id}:0`, retain(dx));
    addCot(bn.inputs[0], dx);
  }
  for (const t of cots.values()) release(t);

  const zerosFor = (t: tf.Tensor): tf.Tensor => own(tf.zerosLike(t));
  const batchMoments: BatchMoments = new Map([...normalised].map(([id, m]) => [id, { mean: m.mean, variance: m.variance }]));
  const activations = options.activations ? acts : undefined;
  return {
    loss: loss!,
    weight: 1,
    logits: acts.get(model.logitsNode)!,
    activations,
    moments: batchMoments,
    grads: model.params.map((p) => paramGrads.get(p.name) ?? zerosFor(p.variable)),
    probeGrads: new Map([...probes].map(([key, probe]) => [key, probeGrads.get(key) ?? zerosFor(probe)])),
    owned,
  };
}

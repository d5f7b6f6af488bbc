import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingConfig } from '../../src/core';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import { TrainingEngine, type TrainEvent } from '../../src/train/engine';
import { TrainError } from '../../src/train/model';
import { hubPeer, spokePeer, type ShardPeer, type ShardPort } from '../../src/train/shard';
import { graphOf, immediate, recordReplica, type Replica, syntheticDataset } from './trainHelpers';

// Data-parallel training with 1–4 replicas must equal one worker on the whole batch, batch norm included
// (synchronised like PyTorch's SyncBatchNorm), at batches that split unevenly or into single images.

const NO_BN = `
model flat(6x6x1) {
  conv(4, 3, pad=1) -> relu
  r: conv(4, 3, pad=1) -> relu
  add(r, _) -> gap -> dense(10)
  train { optimizer: momentum; lr: 0.05; batch: 8; seed: 3 }
}`;

/** The bug report's model: a bn after gap normalises batch values per channel (one per slice at batch 4 on 4 workers). */
const GAP_BN = `
model m(6x6x1) {
  conv(8, 3, pad=1, bias=false) -> bn -> relu
  gap -> bn -> dense(10)
  train { optimizer: momentum; lr: 0.05; batch: 8; seed: 3 }
}`;

/**
 * Skips across bn layers (an identity shortcut shares its input's tensor), a bn whose branch never reaches the
 * output (no gradient, no backward exchange), max pooling, flatten, dropout, and a bn on dense outputs.
 */
const MIXED = `
block basic(planes) {
  residual: conv(planes, 3, pad=1, bias=false) -> bn -> relu -> conv(planes, 3, pad=1, bias=false) -> bn
  shortcut: in -> identity
  unused: in -> conv(planes, 1, bias=false) -> bn
  add(residual, shortcut) -> relu
}
model mixed(6x6x1) {
  conv(4, 3, pad=1, bias=false) -> bn -> relu
  basic(4)
  maxpool(2) -> flatten -> dropout(0.25) -> dense(12) -> bn -> relu -> dense(10)
  train { optimizer: momentum; lr: 0.05; batch: 8; seed: 5 }
}`;



function start(text: string, steps: number, config: Partial<TrainingConfig>, shard?: ShardPeer): Replica {
  const replica = { losses: [] as number[], events: [] as TrainEvent[], weights: new Map<string, Float32Array>() } as Replica;
  replica.engine = new TrainingEngine({
    graph: graphOf(text),
    dataset: syntheticDataset({ size: 6, train: 96, test: 24 }),
    config,
    maxSteps: steps,
    // Replica 0 computes statistics (probes through every segment), the others do not.
    statsInterval: shard && shard.rank !== 0 ? 0 : 3,
    nextFrame: immediate,
    shard,
    onEvent: recordReplica(replica, steps),
  });
  replica.result = replica.engine.run();
  return replica;
}

/** `size` replicas joined as a hub and spokes over MessageChannels (one engine, no shard, for size 1). */
function group(text: string, steps: number, size: number, config: Partial<TrainingConfig> = {}): Replica[] {
  if (size === 1) return [start(text, steps, config)];
  const channels = Array.from({ length: size - 1 }, () => new MessageChannel());
  const hub = hubPeer(channels.map((c) => c.port1 as unknown as ShardPort));
  const replicas = [start(text, steps, config, hub), ...channels.map((c) => start(text, steps, config, spokePeer(c.port2 as unknown as ShardPort)))];
  channels.forEach((c, i) => (c.port1 as unknown as ShardPort).postMessage({ type: 'start', rank: i + 1, size }));
  void Promise.allSettled(replicas.map((r) => r.result)).then(() => channels.forEach((c) => (c.port1.close(), c.port2.close())));
  return replicas;
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

async function compareWithOneWorker(text: string, steps: number, batch: number, sizes: number[]): Promise<void> {
  const single = group(text, steps, 1, { batch })[0];
  assert.equal((await single.result).reason, 'done');
  assert.equal(single.losses.length, steps);
  for (const size of sizes) {
    const replicas = group(text, steps, size, { batch });
    const results = await Promise.all(replicas.map((r) => r.result));
    assert.deepEqual(results.map((r) => r.reason), replicas.map(() => 'done'), `${size} replicas`);
    const [lead, ...others] = replicas;
    lead.losses.forEach((loss, i) => assert.ok(Math.abs(loss - single.losses[i]) < 1e-4, `${size} replicas, batch ${batch}, step ${i + 1}: loss ${loss} vs ${single.losses[i]}`));
    assert.deepEqual(lead.events.filter((e) => e.type === 'started').map((e) => e.type === 'started' && e.replicas), [size]);
    assert.ok(single.weights.size > 0);
    for (const [name, values] of single.weights) {
      const worst = worstDifference(values, lead.weights.get(name)!);
      assert.ok(worst < 1e-4, `${size} replicas, batch ${batch}: ${name} differs from one worker's by ${worst}`);
    }
    // Every replica applies the same summed bits: weights and running statistics are identical across the group.
    for (const other of others) {
      assert.deepEqual(other.losses, lead.losses);
      for (const [name, values] of lead.weights) assert.deepEqual(other.weights.get(name), values, `${name} identical on every replica`);
    }
  }
}

test('without batch norm, 2, 3 and 4 replicas train like one worker (batch 8, and batch 3 on 2)', async () => {
  await useBackend('cpu');
  await compareWithOneWorker(NO_BN, 6, 8, [2, 3, 4]);
  await compareWithOneWorker(NO_BN, 6, 3, [2]);
});

test('batch norm after gap: 2, 3 and 4 replicas train like one worker, also at batch 4 on 4 (one image each) and batch 3 on 2', async () => {
  await useBackend('cpu');
  await compareWithOneWorker(GAP_BN, 8, 8, [2, 3, 4]);
  await compareWithOneWorker(GAP_BN, 8, 4, [4]);
  await compareWithOneWorker(GAP_BN, 8, 3, [2]);
});

test('skips across batch norm, an unused bn branch, dropout and bn on dense outputs: replicas train like one worker', async () => {
  await useBackend('cpu');
  await compareWithOneWorker(MIXED, 8, 8, [2, 3, 4]);
  await compareWithOneWorker(MIXED, 6, 4, [4]);
  await compareWithOneWorker(MIXED, 6, 3, [2]);
});

test('every tensor of a synchronised run is freed, also when replica 0 stops the group mid-run', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  await Promise.all(group(MIXED, 4, 3).map((r) => r.result));
  assert.equal(tf.memory().numTensors, before);
  const replicas = group(MIXED, 1000, 3);
  while (replicas[0].losses.length < 3) await immediate();
  replicas[0].engine.stop();
  const results = await Promise.all(replicas.map((r) => r.result));
  assert.deepEqual(results.map((r) => r.reason), ['stopped', 'stopped', 'stopped']);
  assert.equal(tf.memory().numTensors, before);
});

test('a bn layer with one value per channel is a TrainError at run time, naming the layer and the batch', async () => {
  await useBackend('cpu');
  const error = (() => {
    try {
      start(GAP_BN, 1, { batch: 1 });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(error instanceof TrainError);
  assert.equal(error.code, 'batch-norm');
  assert.equal(
    error.message,
    "bn 'bn2' normalises 1 value per channel in training (batch 1 × a flat input of 8 features): its batch variance is 0, so it outputs β whatever its input and passes no gradient back (PyTorch refuses it: \"Expected more than 1 value per channel when training\"). Train with batch ≥ 2.",
  );
});

test('a batch smaller than the group is a TrainError on every replica: some worker would get no image', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const replicas = group(GAP_BN, 4, 4, { batch: 3 });
  const results = await Promise.allSettled(replicas.map((r) => r.result));
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    const reason = (result as PromiseRejectedResult).reason as TrainError;
    assert.ok(reason instanceof TrainError);
    assert.equal(reason.message, 'Batch 3 cannot be shared by 4 training workers: worker 1 would get no image. Use batch ≥ 4, or fewer workers.');
  }
  assert.equal(tf.memory().numTensors, before);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import { TrainingEngine, type TrainEvent } from '../../src/train/engine';
import { hubPeer, portPeer, shardSlice, spokePeer, type ShardPort } from '../../src/train/shard';
import { graphOf, immediate, recordReplica, type Replica, syntheticDataset } from './trainHelpers';

const NO_BN = `
model flat(6x6x1) {
  conv(4, 3, pad=1) -> relu
  r: conv(4, 3, pad=1) -> relu
  add(r, _) -> gap -> dense(10)
  train { optimizer: momentum; lr: 0.05; batch: 8; epochs: 1; seed: 3 }
}`;

const WITH_BN = `
model normed(6x6x1) {
  conv(4, 3, pad=1, bias=false) -> bn -> relu
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  concat(r, _) -> gap -> dense(10)
  train { optimizer: adam; lr: 0.01; batch: 8; epochs: 3; seed: 3 }
}`;



function start(text: string, steps: number, shard?: ConstructorParameters<typeof TrainingEngine>[0]['shard']): Replica {
  const replica = { losses: [] as number[], events: [] as TrainEvent[], weights: new Map<string, Float32Array>() } as Replica;
  replica.engine = new TrainingEngine({
    graph: graphOf(text),
    dataset: syntheticDataset({ size: 6, train: 96, test: 24 }),
    maxSteps: steps,
    statsInterval: shard?.rank ? 0 : 4,
    nextFrame: immediate,
    shard,
    onEvent: recordReplica(replica, steps),
  });
  replica.result = replica.engine.run();
  return replica;
}

function pair(text: string, steps: number): [Replica, Replica] {
  const channel = new MessageChannel();
  const a = start(text, steps, portPeer(channel.port1 as unknown as ShardPort, 0));
  const b = start(text, steps, portPeer(channel.port2 as unknown as ShardPort, 1));
  const close = () => {
    channel.port1.close();
    channel.port2.close();
  };
  void Promise.allSettled([a.result, b.result]).then(close);
  return [a, b];
}

test('a batch splits into contiguous slices, one per replica, covering it once', () => {
  const batch = Int32Array.from([10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual([...shardSlice(batch, 0, 2)], [10, 11, 12]);
  assert.deepEqual([...shardSlice(batch, 1, 2)], [13, 14, 15, 16]);
  assert.deepEqual([...shardSlice(batch, 0, 1)], [...batch]);
});

test('two replicas without batch norm train exactly like one: same losses, and the same weights on both', async () => {
  await useBackend('cpu');
  const single = start(NO_BN, 10);
  await single.result;
  const [a, b] = pair(NO_BN, 10);
  const [ra, rb] = await Promise.all([a.result, b.result]);
  assert.equal(ra.reason, 'done');
  assert.equal(rb.reason, 'done');
  assert.equal(a.losses.length, 10);
  // The sharded gradient is the whole batch's (summed in another order): losses agree to float precision.
  a.losses.forEach((loss, i) => assert.ok(Math.abs(loss - single.losses[i]) < 1e-4 * Math.max(1, Math.abs(loss)), `step ${i + 1}: ${loss} vs ${single.losses[i]}`));
  assert.deepEqual(b.losses, a.losses, 'both replicas see the whole batch loss');
  for (const [name, values] of a.weights) assert.deepEqual(b.weights.get(name), values, `${name} identical on both replicas`);
  for (const [name, values] of single.weights) {
    const other = a.weights.get(name)!;
    const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(v - other[i])), 0);
    assert.ok(worst < 1e-4, `${name} differs from single-replica training by ${worst}`);
  }
  // Only replica 0 reports statistics and evaluations; the started event says how many share the batch.
  assert.ok(a.events.some((e) => e.type === 'statistics') && a.events.some((e) => e.type === 'evaluation'));
  assert.ok(!b.events.some((e) => e.type === 'statistics' || e.type === 'evaluation'));
  assert.deepEqual(a.events.filter((e) => e.type === 'started').map((e) => e.type === 'started' && e.replicas), [2]);
});

test('with batch norm the replicas stay identical (weights and running statistics) and the loss falls', async () => {
  await useBackend('cpu');
  const [a, b] = pair(WITH_BN, 24);
  await Promise.all([a.result, b.result]);
  assert.ok(a.weights.size > 0);
  for (const [name, values] of a.weights) assert.deepEqual(b.weights.get(name), values, `${name} identical on both replicas`);
  const first = a.losses.slice(0, 4).reduce((x, y) => x + y) / 4;
  const last = a.losses.slice(-4).reduce((x, y) => x + y) / 4;
  assert.ok(last < first, `loss ${first} → ${last}`);
});

test('stopping replica 0 ends replica 1 at its next exchange, and every tensor is freed', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const [a, b] = pair(WITH_BN, 1000);
  while (a.losses.length < 3) await immediate();
  a.engine.stop();
  const [ra, rb] = await Promise.all([a.result, b.result]);
  assert.equal(ra.reason, 'stopped');
  assert.equal(rb.reason, 'stopped');
  assert.ok(rb.steps <= ra.steps + 1, `replica 1 stopped at ${rb.steps}, replica 0 at ${ra.steps}`);
  assert.equal(tf.memory().numTensors, before);
});

test('three replicas (a hub and two spokes) train like one and hold identical weights', async () => {
  await useBackend('cpu');
  const single = start(NO_BN, 6);
  await single.result;
  const channels = [new MessageChannel(), new MessageChannel()];
  const hub = hubPeer(channels.map((c) => c.port1 as unknown as ShardPort));
  const replicas = [start(NO_BN, 6, hub), ...channels.map((c) => start(NO_BN, 6, spokePeer(c.port2 as unknown as ShardPort)))];
  // The hub tells each spoke its rank once it knows the group (as the webview's handshake does).
  channels.forEach((c, i) => (c.port1 as unknown as ShardPort).postMessage({ type: 'start', rank: i + 1, size: 3 }));
  const results = await Promise.all(replicas.map((r) => r.result));
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
  assert.deepEqual(results.map((r) => r.reason), ['done', 'done', 'done']);
  assert.deepEqual(replicas[0].events.filter((e) => e.type === 'started').map((e) => e.type === 'started' && e.replicas), [3]);
  replicas[0].losses.forEach((loss, i) => assert.ok(Math.abs(loss - single.losses[i]) < 1e-4 * Math.max(1, Math.abs(loss)), `step ${i + 1}: ${loss} vs ${single.losses[i]}`));
  for (const other of replicas.slice(1)) {
    assert.deepEqual(other.losses, replicas[0].losses);
    for (const [name, values] of replicas[0].weights) assert.deepEqual(other.weights.get(name), values, `${name} identical on every replica`);
  }
});


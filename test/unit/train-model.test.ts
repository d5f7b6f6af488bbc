import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { analyze, LAYERS } from '../../src/core';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import { TfModel, TRAINABLE_KINDS } from '../../src/train/model';

const examples = readdirSync('examples').filter((f) => f.endsWith('.skipnet'));

test('every example builds with exactly the core\'s trainable parameter count', async () => {
  await useBackend('cpu');
  assert.ok(examples.length >= 10);
  // Every layer of the language trains, the Transformer's sequence layers included.
  assert.deepEqual([...LAYERS.keys()].filter((kind) => !TRAINABLE_KINDS.has(kind)), []);
  for (const file of examples) {
    const analysis = analyze(readFileSync(join('examples', file), 'utf8'));
    for (const graph of analysis.models) {
      const before = tf.memory().numTensors;
      const model = new TfModel(graph, 1);
      assert.equal(BigInt(model.paramCount), graph.totals.params, `${file} ${graph.name}`);
      const buffers = [...model.running.values()].reduce((s, r) => s + r.mean.size + r.variance.size, 0);
      assert.equal(BigInt(buffers), graph.totals.buffers, `${file} ${graph.name} buffers`);
      model.dispose();
      assert.equal(tf.memory().numTensors, before, `${file}: every variable disposed`);
    }
  }
});

test('the forward pass gives every node the shape the core inferred', async () => {
  await useBackend('cpu');
  for (const file of ['mnist_resnet.skipnet', 'mnist_densenet.skipnet', 'resnet20.skipnet', 'vit_tiny.skipnet']) {
    const graph = analyze(readFileSync(join('examples', file), 'utf8')).models[0];
    const model = new TfModel(graph, 1);
    tf.tidy(() => {
      const x = tf.randomNormal([2, ...graph.inputShape]);
      const result = model.forward(x, { training: true });
      for (const node of graph.nodes) assert.deepEqual(result.activations.get(node.id)!.shape, [2, ...node.shape!], `${file} ${node.id}`);
    });
    model.dispose();
  }
});

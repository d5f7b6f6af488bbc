import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend as useBackend, type PortableBackend } from '../../src/train/nodeBackend';
import { TfModel } from '../../src/train/model';
import { graphSpec } from '../../src/train/spec';
import { SeededRandom } from '../../src/train/rng';
import { graphOf } from './trainHelpers';
import { EVERY_NEW_LAYER } from '../support/familyModels';

// Per-layer gradient norms of tfjs against PyTorch's autograd (Debian python3-torch, float64) for a
// fixed model holding every kind of layer, fixed weights and a fixed batch.
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/reference/grad_norms.py';

const MODEL = `
block basic(planes, stride=1) {
  residual: conv(planes, 3, stride=stride, pad=1, bias=false) -> bn -> relu -> conv(planes, 3, pad=1, bias=false) -> bn
  shortcut: in -> zeropad(planes, stride=stride)
  add(residual, shortcut) -> relu
}
block projection(planes) {
  residual: conv(planes, 3, stride=2, pad=1) -> bn -> sigmoid
  shortcut: in -> conv(planes, 1, stride=2, bias=false) -> bn
  add(residual, shortcut)
}
block dense_layer(k) {
  bn -> leakyrelu(0.1) -> conv(k, 3, pad=2, dilation=2, bias=false)
  concat(in, _)
}
model reference(9x9x3) {
  conv(4, 3, pad=1) -> bn -> relu
  # Padding per axis (Inception's 1×7 and 7×1) and pad=same with dilation and even kernels (asymmetric).
  conv(4, 1x7, pad=0x3) -> conv(4, 7x1, pad=3x0, bias=false) -> conv(4, 3, pad=same, dilation=2)
  conv(4, 2x4, pad=same, dilation=3) -> maxpool(2, stride=1, pad=same) -> avgpool(2x3, stride=1, pad=same) -> relu
  basic(4)
  basic(8, stride=2)
  dense_layer(4)
  dense_layer(4)
  conv(8, 1, groups=2) -> gelu -> maxpool(3, stride=2, pad=1) -> avgpool(2, stride=1, pad=1)
  projection(6)
  dropout(0) -> identity -> tanh -> flatten -> dense(10)
}`;

// Tied weights (`shared(label)`): a block, a conv without bias and a dense layer each applied twice or three times;
// the gradient of a tied weight is the sum over its applications, as PyTorch's autograd sums it.
const TIED = `
block unit() {
  conv(3, 3, pad=1) -> bn -> relu
}
model tied(9x9x3) {
  u: unit()
  v: shared(u)
  add(u, v) -> w: shared(u)
  c: in -> conv(3, 3, pad=1, bias=false)
  d: w -> shared(c)
  concat(c, d) -> gap -> f: dense(6)
  shared(f) -> relu -> dense(10)
}`;

// Every sequence layer of the Vision Transformer: patch tokens, class token, position embedding, two pre-norm
// encoder blocks (layernorm, attention, residual adds, dense per token), then the class token and the mean of all
// tokens side by side into the head.
const SEQUENCE = `
block encoder(heads) {
  ln_1: layernorm(eps=1e-6)
  attention(heads)
  x: add(_, in)
  layernorm
  dense(16) -> gelu -> dense(8)
  add(_, x)
}
model sequence(9x9x3) {
  patchify(3, 8) -> cls_token() -> pos_embed()
  first: encoder(2)
  encoder(4) -> layernorm -> cls: token(0)
  mean: first -> mean_tokens
  concat(cls, mean) -> dense(10)
}`;

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

async function tfjsGradients(model: TfModel, input: tf.Tensor, labels: number[]) {
  const graph = model.graph;
  const probeKeys = graph.nodes.flatMap((n) => (n.kind === 'add' ? n.inputs.map((_, k) => `edge:${n.id}:${k}`) : n.kind === 'concat' ? [`node:${n.id}`] : []));
  const probes = new Map(
    probeKeys.map((key) => {
      const [kind, id, k] = key.split(':');
      const source = kind === 'node' ? id : graph.nodeById.get(id)!.inputs[Number(k)];
      return [key, tf.zeros([input.shape[0], ...graph.nodeById.get(source)!.shape!])];
    }),
  );
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const { value, grads } = tf.engine().gradients(
    () => {
      const { logits } = model.forward(input, { training: true, probes });
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))) as tf.Scalar;
    },
    [...model.variables, ...probes.values()],
    undefined,
    true,
  );
  const norms = await Promise.all(grads.map((g) => (g ? tf.norm(g).data() : Promise.resolve(Float32Array.of(0)))));
  const values = await Promise.all(model.params.map((p, i) => (grads[i] ? grads[i].data() : Promise.resolve(new Float32Array(p.variable.size)))));
  const result = {
    loss: (await value.data())[0],
    grads: Object.fromEntries(model.params.map((p, i) => [p.name, norms[i][0]])),
    values: Object.fromEntries(model.params.map((p, i) => [p.name, Array.from(values[i])])),
    merges: Object.fromEntries(probeKeys.map((key, i) => {
      const [kind, id, k] = key.split(':');
      return [kind === 'node' ? `concat:${id}` : `add:${id}:${k}`, norms[model.params.length + i][0]];
    })),
  };
  tf.dispose([value, y, ...grads.filter((g): g is tf.Tensor => g !== null), ...probes.values()]);
  return result;
}

/**
 * The models checked: every kind of ResNet and DenseNet layer, then every layer of the wider family (transposed
 * convolution, upsampling, ceil pooling, squeeze-and-excitation mul, Highway gate, relu6, silu, hardswish,
 * hardsigmoid, softmax over an axis), each with the least number of parameters it must hold.
 */
const MODELS: [string, string, number, boolean][] = [
  ['ResNet and DenseNet layers', MODEL, 30, false],
  ['the skip-connection family', EVERY_NEW_LAYER.replace('every_new(9x9x4)', 'every_new(9x9x3)'), 14, false],
  ['tied (shared) weights', TIED, 8, false],
  // Here every gradient value is compared too, not only each parameter's norm.
  ['every sequence layer (ViT)', SEQUENCE, 28, true],
];

/** Roles drawn at random before the comparison (their initial values are constants: zeros, ones, or a small std). */
const RANDOMISED = new Set(['gamma', 'beta', 'bias', 'class_token', 'pos_embedding', 'in_proj_bias', 'out_proj_bias']);

for (const [backend, [what, text, minParams, full]] of (['cpu', 'wasm'] as PortableBackend[]).flatMap((b) => MODELS.map((m) => [b, m] as const))) {
  test(`per-layer gradient norms of ${what} on ${backend} match PyTorch autograd to 1e-4 relative`, async () => {
    // Like the export test: a missing reference is a failure with the fix in the message, never a silent skip.
    if (!torchAvailable()) assert.fail('PyTorch (Debian python3-torch) is missing: apt-get install -y python3-torch (.ci/run installs it)');
    await useBackend(backend);
    const graph = graphOf(text);
    const model = new TfModel(graph, 11);
    const random = new SeededRandom(12);
    // Non-trivial bn parameters and running statistics, so that every weight matters.
    model.loadWeights(
      Object.fromEntries(
        [...model.params.filter((p) => RANDOMISED.has(p.role))].map((p) => [
          p.name,
          Array.from({ length: p.variable.size }, () => (p.role === 'gamma' ? 1 + 0.3 * random.normal() : 0.2 * random.normal())),
        ]),
      ),
    );
    const batch = 4;
    const inputValues = Array.from({ length: batch * 9 * 9 * 3 }, () => random.normal());
    const labels = [3, 1, 4, 1];
    const input = tf.tensor4d(inputValues, [batch, 9, 9, 3]);
    const ours = await tfjsGradients(model, input, labels);
    const dir = mkdtempSync(join(tmpdir(), 'skipnet-ref-'));
    try {
      const spec = {
        nodes: graphSpec(graph),
        logits: model.logitsNode,
        weights: await model.exportWeights(),
        input: { shape: [batch, 9, 9, 3], values: inputValues },
        labels,
        full,
      };
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
      const run = spawnSync(PYTHON, [SCRIPT, join(dir, 'spec.json')], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const theirs = JSON.parse(run.stdout) as typeof ours;
      const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);
      assert.ok(relative(ours.loss, theirs.loss) < 1e-4, `loss ${ours.loss} vs ${theirs.loss}`);
      assert.deepEqual(Object.keys(ours.grads).sort(), Object.keys(theirs.grads).sort());
      assert.ok(Object.keys(ours.grads).length >= minParams, `${Object.keys(ours.grads).length} parameters`);
      // A conv bias just before bn gets (mathematically) no gradient; everything else must be non-trivial.
      const trivial = Object.entries(theirs.grads).filter(([, norm]) => norm < 1e-6).map(([name]) => name);
      assert.ok(trivial.every((name) => name.endsWith('/bias')) && trivial.length <= 2, `trivial gradients: ${trivial.join(', ')}`);
      const mismatches = Object.entries(theirs.grads)
        .filter(([name, norm]) => (norm < 1e-6 ? Math.abs(ours.grads[name]) > 1e-5 : relative(ours.grads[name], norm) >= 1e-4))
        .map(([name, norm]) => `${name}: tfjs ${ours.grads[name]} vs PyTorch ${norm}`);
      assert.deepEqual(mismatches, []);
      assert.deepEqual(Object.keys(ours.merges).sort(), Object.keys(theirs.merges).sort());
      for (const [key, norm] of Object.entries(theirs.merges)) assert.ok(relative(ours.merges[key], norm) < 1e-4, `${key}: tfjs ${ours.merges[key]} vs PyTorch ${norm}`);
      if (full) {
        // ‖g_tfjs − g_PyTorch‖ / ‖g_PyTorch‖ for each parameter, over all of its values.
        const reference = theirs.values;
        const off = Object.entries(ours.values).filter(([name, values]) => {
          const theirValues = reference[name];
          const difference = Math.hypot(...values.map((v, i) => v - theirValues[i]));
          return values.length !== theirValues.length || difference / Math.max(Math.hypot(...theirValues), 1e-8) >= 1e-4;
        });
        assert.deepEqual(off.map(([name]) => name), []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      input.dispose();
      model.dispose();
      await useBackend('cpu');
    }
  });
}

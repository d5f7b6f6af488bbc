import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, formatBytes, savedForBackward, trainingMemory } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { exampleNames, readExample, ROOT } from '../support/examples';
import { EVERY_NEW_LAYER } from '../support/familyModels';

/** Debian's python3 with python3-torch (PyTorch 1.13), installed by .ci/run. */
const PYTHON = '/usr/bin/python3';

/**
 * Every layer kind, in the places where what autograd keeps differs: before any weight (nothing requires
 * grad), outputs shared by two readers, views, dropout with p = 0 (its input itself), batch norm on a
 * flat input, and every merge.
 */
const EVERY_KIND = `model every_kind(12x12x3) {
  relu -> avgpool(2, stride=1)
  stem: conv(8, 3, pad=1, bias=false) -> bn -> relu -> maxpool(3, stride=2, pad=1)
  r: conv(8, 3, pad=1) -> bn -> leakyrelu(0.1)
  s: stem -> zeropad(8) -> identity
  add(r, s) -> tanh -> dropout(0.2)
  concat(_, stem) -> gelu -> avgpool(2)
  conv(16, 1) -> sigmoid -> dropout(0) -> softmax
  flatten -> dense(20) -> bn -> relu -> dropout(0.3) -> dense(10)
  train { batch: 8 }
}
`;

/**
 * Attention where its saved copy of the input matters: the layer-norm output is read by two attentions and kept
 * by a dense layer too (a copy is not shared), attention with dropout, a class-token view kept whole, and a mean over
 * tokens whose input nothing else keeps.
 */
const ATTENTION_KINDS = `model attention_kinds(8x8x1) {
  patchify(2, 8) -> cls_token() -> pos_embed()
  x: layernorm(eps=1e-6)
  a: attention(2, dropout=0.1)
  b: x -> dense(8)
  c: x -> attention(4)
  s: add(a, b, c) -> layernorm()
  m: mean_tokens() -> dense(6)
  t: c -> token(0) -> dense(6)
  add(m, t)
  train { batch: 4 }
}
`;

/**
 * At batch 1 attention's in-projection keeps the layer norm's output itself (the batch-first transpose is contiguous,
 * so no copy is made), and the dense layer that reads the same output keeps the same storage: one tensor, not two.
 */
const SHARED_AT_BATCH_ONE = `model shared_at_batch_one(8x8x1) {
  patchify(2, 8) -> cls_token()
  x: layernorm
  a: attention(2)
  b: x -> dense(8)
  add(a, b) -> mean_tokens() -> dense(10)
  train { batch: 1 }
}
`;

interface Measured {
  batch: number;
  device: 'cpu' | 'meta';
  activations: number;
  weights: number;
}

function measure(args: string[]): Measured[] {
  try {
    const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'saved_tensors.py'), ...args], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(stdout);
  } catch (error) {
    assert.fail(`PyTorch reference failed (needs Debian python3-torch: apt-get install -y python3-torch; .ci/run installs it): ${(error as Error).message}`);
  }
}

describe("training memory's activation term against what PyTorch's autograd keeps", () => {
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-saved-'));
  const sources = [
    ...exampleNames().map((file) => ({ file, text: readExample(file) })),
    { file: 'every_kind.skipnet', text: EVERY_KIND },
    { file: 'every_new.skipnet', text: `${EVERY_NEW_LAYER.replace(/\}\n$/, '  train { batch: 4 }\n}\n')}` },
    { file: 'attention_kinds.skipnet', text: ATTENTION_KINDS },
  ];
  const cases = sources.map(({ file, text }) => {
    const analysis = analyze(text);
    assert.deepEqual(analysis.diagnostics, [], file);
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, file);
    assert.ok(result.ok, `${file}: ${JSON.stringify(!result.ok && result.problems)}`);
    const path = join(dir, file.replace('.skipnet', '.py'));
    writeFileSync(path, result.code);
    return { file, model, arg: `${path}:${result.className}:${model.training.batch}` };
  });

  it('the meta device keeps what the cpu keeps: every layer kind, and a small ResNet, with real tensors', () => {
    const checked = cases.filter((c) => c.file === 'every_kind.skipnet' || c.file === 'every_new.skipnet' || c.file === 'attention_kinds.skipnet' || c.file === 'mnist_resnet.skipnet');
    const [cpu, meta] = [measure(checked.map((c) => `${c.arg}:cpu`)), measure(checked.map((c) => `${c.arg}:meta`))];
    assert.deepEqual(meta.map((m) => m.activations), cpu.map((m) => m.activations));
    assert.ok(cpu.every((m) => m.device === 'cpu' && m.activations > 0));
  });

  it('every example at its batch size, and a model of every layer kind: the bytes of saved tensors, to the byte', () => {
    const measured = measure(cases.map((c) => `${c.arg}:meta`));
    const report: string[] = [];
    cases.forEach(({ file, model }, i) => {
      const torch = measured[i];
      const memory = trainingMemory(model);
      assert.equal(torch.batch, memory.batch, file);
      report.push(`${file}: PyTorch keeps ${torch.activations} B (${formatBytes(torch.activations)}), SkipNet ${memory.activations} B`);
      // Within 10% is the contract; the model is exact for every layer kind, so every case is held to the byte.
      assert.equal(memory.activations, BigInt(torch.activations), `${file}: ${report[report.length - 1]}`);
      // Parameters and buffers autograd also keeps are already in weights + buffers.
      assert.ok(BigInt(torch.weights) <= memory.weights + memory.buffers, `${file}: saved weights ${torch.weights} B`);
    });
    const resnet20 = cases.findIndex((c) => c.file === 'resnet20.skipnet');
    assert.equal(measured[resnet20].activations, 48_641_408, 'ResNet-20 at batch 32 keeps 46.4 MiB');
    assert.equal(formatBytes(trainingMemory(cases[resnet20].model).activations), '46.4 MiB');
  });

  it('batch 1: a layer norm output read by attention and by a dense layer is kept once, to the byte', () => {
    const analysis = analyze(SHARED_AT_BATCH_ONE);
    assert.deepEqual(analysis.diagnostics, []);
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, 'shared_at_batch_one.skipnet');
    assert.ok(result.ok);
    const path = join(dir, 'shared_at_batch_one.py');
    writeFileSync(path, result.code);
    const [cpu, meta] = measure([`${path}:${result.className}:1:cpu`, `${path}:${result.className}:1:meta`]);
    // T = 17 tokens of D = 8, 2 heads, in floats: patchify keeps the 8×8 input (64), layernorm the class-token output
    // (136) and 2·T statistics (34); attention the layer norm's output x itself (136, which the dense layer keeps
    // too), q, kᵀ, v and its heads' output (4·T·D = 544) and 2·T·T weights (578), plus an 8-byte scalar per step;
    // mean_tokens keeps the add's output (136), the head its mean (8).
    const floats = 64 + 136 + 34 + 136 + 544 + 578 + 136 + 8;
    assert.equal(cpu.activations, floats * 4 + 8, 'PyTorch 1.13 at batch 1');
    assert.equal(meta.activations, cpu.activations);
    assert.equal(trainingMemory(model, 1).activations, BigInt(cpu.activations));
    // At batch 2 the transpose copies: each sample keeps the copy (136) besides x.
    assert.equal(trainingMemory(model, 2).activations, 2n * BigInt((floats + 136) * 4) + 8n);
  });

  it('the per-sample and per-step split is what makes the batch-size suggestion exact', () => {
    const model = cases.find((c) => c.file === 'resnet20.skipnet')!.model;
    const saved = savedForBackward(model);
    const bnChannels = model.nodes.filter((n) => n.kind === 'bn').reduce((sum, n) => sum + BigInt(n.shape![2]), 0n);
    assert.equal(saved.perStep, 2n * bnChannels * 4n, 'batch mean and inverse std of every batch norm');
    assert.equal(trainingMemory(model, 64).activations - trainingMemory(model, 32).activations, 32n * saved.perSample);
  });
});

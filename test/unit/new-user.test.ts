import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, outputFitProblem, type Diagnostic } from '../../src/core';
import { runCli, runCliAsync, type CliIo } from '../../src/cli/main';
import { applyEdits, quickFixesAt } from '../../src/core/language';
import { checkDataFits } from '../../src/train/dataset';
import { finalLine } from '../../src/train/printer';
import { lineCol } from '../support/examples';
import { graphOf, syntheticDataset } from './trainHelpers';

/*
 * What a new user coming from PyTorch writes first: BatchNorm2d's feature count in bn, a model that does not fit its
 * data set, a softmax before the loss, and layers SkipNet cannot express. Each is a located diagnostic with its fix.
 */

/** "line:col-line:col code message" for each diagnostic, plus " => fix" when it carries a replacement. */
function problems(text: string, diagnostics: Diagnostic[] = analyze(text).diagnostics): string[] {
  return diagnostics.map((d) => {
    const fix = d.fix ? ` => ${lineCol(text, d.fix.range.start)}-${lineCol(text, d.fix.range.end)} '${d.fix.text}'` : '';
    return `${lineCol(text, d.range.start)}-${lineCol(text, d.range.end)} ${d.code} ${d.message}${fix}`;
  });
}

const SEE = 'See docs/language.md, "What the language cannot express yet".';

describe("a feature count where bn's and layernorm's first argument is eps", () => {
  it('bn(16): a warning at the 16, with a fix that drops it; the eps it sets is still 16', () => {
    const text = 'model m(8x8x3) {\n  conv(4, 3) -> bn(16) -> relu\n}';
    assert.deepEqual(problems(text), [
      "2:20-2:22 feature-count-argument bn(16): the first argument is eps (1e-5 by default), not the feature count of PyTorch's BatchNorm2d(num_features); SkipNet infers the 16 features from the input. Write `bn` or `bn(eps=…)`. => 2:17-2:23 'bn'",
    ]);
    const node = analyze(text).models[0].nodeById.get('bn1')!;
    assert.equal(node.args.eps, 16);
    assert.equal(node.params, 8n, 'γ and β of the 4 channels the input has');
  });

  it('layernorm(64) on tokens, bn(1) (singular), bn(16, momentum=0.2) keeps the other argument', () => {
    const ln = 'model v(8x8x1) {\n  patchify(4, 8) -> layernorm(64)\n}';
    assert.deepEqual(problems(ln), [
      "2:31-2:33 feature-count-argument layernorm(64): the first argument is eps (1e-5 by default), not the feature count of PyTorch's LayerNorm(normalized_shape); SkipNet infers the 64 features from the input. Write `layernorm` or `layernorm(eps=…)`. => 2:21-2:34 'layernorm'",
    ]);
    const one = 'model m(8x8x3) {\n  bn(1)\n}';
    assert.deepEqual(problems(one), [
      "2:6-2:7 feature-count-argument bn(1): the first argument is eps (1e-5 by default), not the feature count of PyTorch's BatchNorm2d(num_features); SkipNet infers the 1 feature from the input. Write `bn` or `bn(eps=…)`. => 2:3-2:8 'bn'",
    ]);
    const kept = 'model m(8x8x3) {\n  bn(16, momentum=0.2)\n}';
    assert.match(problems(kept)[0], / => 2:3-2:23 'bn\(momentum=0\.2\)'$/);
  });

  it('a block parameter that holds a count is warned at the argument; eps given as a fraction or by keyword is not', () => {
    const block = 'block b(c) {\n  bn(c)\n}\nmodel m(8x8x3) {\n  b(16)\n}';
    assert.deepEqual(problems(block).map((p) => p.split(': the first')[0]), ['2:6-2:7 feature-count-argument bn(c)']);
    assert.match(problems(block)[0], /SkipNet infers the 16 features from the input/);
    assert.deepEqual(problems('model m(8x8x3) {\n  bn(0.001) -> bn(eps=2) -> bn(0.5)\n}'), []);
  });

  it("PyTorch's LayerNorm(64) and loose spellings of bn and layernorm translate without the feature count", () => {
    const at = (call: string): string => problems(`model v(8x8x1) {\n  patchify(4, 8) -> ${call}\n}`)[0];
    assert.equal(
      at('LayerNorm(64)'),
      "2:21-2:30 unknown-layer-or-block Unknown layer or block 'LayerNorm'. 'LayerNorm' is a PyTorch name; SkipNet writes this as 'layernorm'; SkipNet infers the number of features. => 2:21-2:34 'layernorm'",
    );
    assert.equal(
      at('LayerNorm(64, eps=1e-6)'),
      "2:21-2:30 unknown-layer-or-block Unknown layer or block 'LayerNorm'. 'LayerNorm' is a PyTorch name; SkipNet writes this as 'layernorm(eps=0.000001)'; SkipNet infers the number of features. => 2:21-2:44 'layernorm(eps=0.000001)'",
    );
    assert.match(at('layer_norm(64)'), /SkipNet writes this as 'layernorm'; SkipNet infers the number of features\. => 2:21-2:35 'layernorm'$/);
    const image = (call: string): string => problems(`model m(8x8x3) {\n  conv(4, 3) -> ${call}\n}`)[0];
    assert.match(image('batchnorm(16)'), /Unknown layer or block 'batchnorm'\. SkipNet writes this as 'bn'; SkipNet infers the number of features\. => 2:17-2:30 'bn'$/);
    assert.match(image('BatchNorm2d(16)'), /'BatchNorm2d' is a PyTorch name; SkipNet writes this as 'bn'; SkipNet infers the number of features\./);
  });
});

/** The text after the Quick Fix of its one diagnostic, which must leave no diagnostic behind. */
function afterFix(text: string): string {
  const analysis = analyze(text);
  assert.equal(analysis.diagnostics.length, 1);
  const fixes = quickFixesAt(analysis, analysis.diagnostics[0].range);
  assert.equal(fixes.length, 1);
  const after = applyEdits(text, [fixes[0].edit]);
  assert.deepEqual(analyze(after).diagnostics, []);
  return after;
}

describe('the Quick Fixes of these warnings', () => {
  it('bn(16) becomes bn; `-> softmax` before the loss is removed', () => {
    assert.equal(afterFix('model m(8x8x3) {\n  conv(4, 3) -> bn(16) -> relu\n}'), 'model m(8x8x3) {\n  conv(4, 3) -> bn -> relu\n}');
    assert.equal(afterFix('model m(8x8x3) {\n  gap -> dense(10) -> softmax\n}'), 'model m(8x8x3) {\n  gap -> dense(10)\n}');
  });
});

describe("a model whose output does not fit its train section's data set", () => {
  it('a ViT without token(0) or mean_tokens: at its last layer, pointing at the data set', () => {
    const text = 'model v(8x8x1) {\n  patchify(4, 8) -> cls_token() -> layernorm -> dense(10)\n  train { dataset: mnist }\n}';
    const diagnostics = analyze(text).diagnostics;
    assert.deepEqual(problems(text, diagnostics), [
      '2:49-2:58 output-mismatch Model v ends in 5×10 outputs but mnist has 10 classes: its output is a sequence of 5 tokens, so end with token(0) or mean_tokens before the classifier (… -> token(0) -> dense(10)), which scores the image instead of each token.',
    ]);
    assert.deepEqual(
      diagnostics[0].related?.map((r) => `${lineCol(text, r.range.start)}-${lineCol(text, r.range.end)} ${r.message}`),
      ['3:20-3:25 the data set: mnist, 10 classes'],
    );
    const io = capture({ 'v.skipnet': text });
    assert.equal(runCli(['check', 'v.skipnet'], io), 1);
    assert.deepEqual([...io.lines, ...io.errors], [`v.skipnet:2:49: error: ${diagnostics[0].message} [output-mismatch]`]);
  });

  it('a last dense of the wrong width (64 units, 1 unit), a feature map, CIFAR-100', () => {
    const at = (tail: string, dataset = 'mnist'): string[] => problems(`model m(28x28x1) {\n  conv(4, 3) -> ${tail}\n  train { dataset: ${dataset} }\n}`);
    assert.deepEqual(at('gap -> dense(64)'), ['2:24-2:33 output-mismatch Model m ends in 64 outputs but mnist has 10 classes: end the model with dense(10); the last dense has 64 units.']);
    assert.deepEqual(at('gap -> dense(1)'), ['2:24-2:32 output-mismatch Model m ends in 1 output but mnist has 10 classes: end the model with dense(10); the last dense has 1 unit.']);
    assert.deepEqual(at('conv(10, 3)', 'cifar10'), [
      '2:17-2:28 output-mismatch Model m ends in 24×24×10 outputs but cifar10 has 10 classes: its output is a 24×24×10 feature map, so end it with gap (or flatten), then dense(10).',
    ]);
    assert.deepEqual(at('gap -> dense(10)', 'cifar100'), ['2:24-2:33 output-mismatch Model m ends in 10 outputs but cifar100 has 100 classes: end the model with dense(100); the last dense has 10 units.']);
    assert.deepEqual(at('gap -> dense(10)'), []);
  });

  it('training says exactly what the check says: one function for both', () => {
    const text = 'model v(8x8x1) {\n  patchify(4, 8) -> cls_token() -> layernorm -> dense(10)\n  train { dataset: mnist }\n}';
    const analysis = analyze(text);
    const graph = analysis.models[0];
    const dataset = { ...syntheticDataset({ size: 8, train: 4, test: 4 }), name: 'mnist' };
    assert.throws(() => checkDataFits(graph, dataset), (error: Error) => error.message === analysis.diagnostics[0].message);
    const wide = graphOf('model w(6x6x1) { conv(2, 3, pad=1) -> gap -> dense(3) }');
    const synthetic = syntheticDataset({ size: 6, train: 4, test: 4 });
    assert.equal(outputFitProblem(wide, { name: 'synthetic', classes: 10, segmentation: false }), 'Model w ends in 3 outputs but synthetic has 10 classes: end the model with dense(10); the last dense has 3 units.');
    assert.throws(() => checkDataFits(wide, synthetic), (error: Error) => error.message === outputFitProblem(wide, { name: 'synthetic', classes: 10, segmentation: false }));
  });

  it('without a dataset setting (the data set then comes from a flag or Train both) the model is not checked here', () => {
    assert.deepEqual(problems('model m(8x8x1) {\n  conv(4, 3) -> gap -> dense(5)\n  train { batch: 4 }\n}'), []);
  });
});

describe('a squashing layer right before the softmax cross-entropy loss', () => {
  it('softmax: a warning at it, with a fix that removes `-> softmax`', () => {
    const text = 'model m(28x28x1) {\n  conv(4, 3) -> gap -> dense(10) -> softmax\n  train { dataset: mnist }\n}';
    assert.deepEqual(problems(text), [
      "2:37-2:44 squashed-logits softmax as the last layer before the loss: the loss, softmax cross-entropy, already applies log-softmax to the model's scores, so this softmax makes it the log-softmax of probabilities, which differ by at most 1 between classes: it squashes the gradients and training crawls. Remove it; the predicted class (the largest score) stays the same. => 2:33-2:44 ''",
    ]);
  });

  it('sigmoid on the 10 class scores, a softmax behind a dropout (no fix: the dropout would lose its input)', () => {
    assert.deepEqual(problems('model m(28x28x1) {\n  conv(4, 3) -> gap -> dense(10) -> sigmoid\n}'), [
      '2:37-2:44 squashed-logits sigmoid as the last layer before the loss: the loss, softmax cross-entropy over the 10 classes, needs unbounded scores (logits); sigmoid squashes each into 0…1, so the softmax over them stays nearly uniform and the gradients vanish. Remove it; the predicted class (the largest score) stays the same. => 2:33-2:44 \'\'',
    ]);
    const dropped = problems('model m(28x28x1) {\n  conv(4, 3) -> gap -> dense(10) -> softmax -> dropout(0.1)\n}');
    assert.equal(dropped.length, 1);
    assert.match(dropped[0], /^2:37-2:44 squashed-logits softmax as the last layer before the loss: .* stays the same\.$/);
  });

  it('a softmax over height, a sigmoid gate inside the model and a one-score sigmoid are not warned about', () => {
    assert.deepEqual(problems('model m(8x8x1) {\n  conv(4, 3) -> softmax(axis=0)\n}'), []);
    assert.deepEqual(problems('model m(8x8x1) {\n  a: conv(4, 3)\n  s: a -> gap -> dense(4) -> sigmoid\n  mul(a, s) -> gap -> dense(10)\n}'), []);
    assert.deepEqual(problems('model m(8x8x1) {\n  gap -> dense(1) -> sigmoid\n}'), []);
  });
});

describe('layers a PyTorch user tries that SkipNet cannot express yet', () => {
  it('conv1d, Conv1d and GroupNorm: an error at the name saying what to write instead', () => {
    const at = (call: string): string[] => problems(`model m(8x8x3) {\n  conv(4, 3) -> ${call}\n}`);
    assert.deepEqual(at('conv1d(16, 3)'), [
      `2:17-2:23 unsupported-layer 'conv1d' (a 1-D convolution) is not supported: convolutions and pooling are 2-D only; a 1-D signal of length L with C channels can be written as a 1×L×C input, where conv(filters, 1xk) and maxpool(1x2) act along it. ${SEE}`,
    ]);
    assert.match(at('Conv1d(4, 16, 3)')[0], /^2:17-2:23 unsupported-layer 'Conv1d' \(a 1-D convolution\) is not supported: /);
    assert.deepEqual(at('GroupNorm(8, 64)'), [
      `2:17-2:26 unsupported-layer 'GroupNorm' (group normalisation) is not supported: the normalisations are bn (per channel, over the batch) and layernorm (per token): use bn on feature maps, layernorm on tokens. ${SEE}`,
    ]);
    assert.match(at('group_norm(8)')[0], /unsupported-layer 'group_norm' \(group normalisation\)/);
    assert.match(at('LSTM(64)')[0], /unsupported-layer 'LSTM' \(an LSTM\) is not supported: there is no recurrence/);
    assert.match(at('InstanceNorm2d(4)')[0], /unsupported-layer 'InstanceNorm2d' \(instance normalisation\)/);
  });

  it('cross-attention: a second sequence given to attention, by position or as kv=', () => {
    const text = 'model v(8x8x1) {\n  x: patchify(4, 8)\n  y: x -> dense(8)\n  x -> attention(y)\n}';
    assert.deepEqual(problems(text), [
      `4:18-4:19 unsupported-layer attention(y): attention is self-attention (query = key = value, one input): there is no cross-attention between two sequences, no decoder and no causal mask; attention(heads) attends within the one sequence it is given. ${SEE}`,
    ]);
    const kv = 'model v(8x8x1) {\n  x: patchify(4, 8)\n  y: x -> dense(8)\n  x -> attention(2, kv=y)\n}';
    assert.deepEqual(problems(kv).map((p) => p.split(': attention is')[0]), ['4:21-4:25 unsupported-layer attention(kv=y)']);
    const causal = 'model v(8x8x1) {\n  patchify(4, 8) -> attention(2, causal=true)\n}';
    assert.deepEqual(problems(causal), [
      `2:34-2:45 unsupported-layer attention(causal=…): attention is unmasked (every token attends to every token): there is no causal or padding mask yet. ${SEE}`,
    ]);
  });

  it("MultiheadAttention is PyTorch's name for attention", () => {
    assert.match(
      problems('model v(8x8x1) {\n  patchify(4, 8) -> MultiheadAttention(8, 2)\n}')[0],
      /'MultiheadAttention' is a PyTorch name; SkipNet writes this as 'attention\(2\)'; SkipNet infers the embedding dimension\. => 2:21-2:45 'attention\(2\)'$/,
    );
  });
});

/** A CLI io over in-memory files, collecting what it prints. */
function capture(files: Record<string, string>): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: ${path}`);
      return files[path];
    },
    writeFile: (path, text) => void (files[path] = text),
  };
}

const SMALL = 'model small(28x28x1) {\n  conv(2, 3) -> gap -> dense(10)\n  train { dataset: mnist }\n}\n';

describe("skipnet train --engine says browser, as the skipnet.train.engine setting does", () => {
  it('the usage and every message name browser; tfjs is still accepted', async () => {
    const usageOf = async (args: string[]): Promise<string> => {
      const io = capture({ 'small.skipnet': SMALL });
      assert.equal(await runCliAsync(['train', 'small.skipnet', ...args], io), 2);
      return io.errors.join('\n');
    };
    const wrong = await usageOf(['--engine', 'gpu']);
    assert.equal(wrong.split('\n')[0], "skipnet: --engine must be browser (TensorFlow.js) or pytorch, not 'gpu'");
    assert.match(wrong, /\[--engine browser\|pytorch\]/);
    assert.doesNotMatch(wrong, /tfjs/);
    assert.equal((await usageOf(['--engine', 'browser', '--device', 'cpu'])).split('\n')[0], 'skipnet: --device needs --engine pytorch');
    assert.equal((await usageOf(['--engine', 'tfjs', '--nproc', '2'])).split('\n')[0], 'skipnet: --nproc needs --engine pytorch');
  });

  it('--engine browser trains (one step: "1 step", singular)', async () => {
    const io = capture({ 'small.skipnet': SMALL });
    assert.equal(await runCliAsync(['train', 'small.skipnet', '--engine', 'browser', '--steps', '1', '--batch', '2', '--eval-samples', '1'], io), 0, io.errors.join('\n'));
    assert.match(io.lines[0], /^backend cpu, 50 parameters, 1 step of batch 2$/);
    assert.match(io.lines.join('\n'), /\(1 image, a spread subset\)|\(1 image\)/);
    assert.match(io.lines.at(-1)!, /^final held-out accuracy \d+\.\d\d% after 1 step \(cpu\)$/);
  });
});

describe('counts in messages agree with their nouns', () => {
  it('one of a thing is singular, two are plural', () => {
    const evaluation = { type: 'evaluation', epoch: 1, step: 1, loss: 1, accuracy: 0.5, samples: 1, full: true } as Parameters<typeof finalLine>[0];
    assert.equal(finalLine(evaluation, 1, 'cpu'), 'final held-out accuracy 50.00% after 1 step (cpu)');
    assert.equal(finalLine(evaluation, 2, 'cpu'), 'final held-out accuracy 50.00% after 2 steps (cpu)');
    const io = capture({ 'one.skipnet': 'model one(4x4x1) {\n  flatten -> dense(10)\n}\n' });
    assert.equal(runCli(['paths', 'one.skipnet'], io), 0, io.errors.join('\n'));
    assert.equal(io.lines.join('\n').split('\n').at(-1), 'One path, 1 weighted layer long.');
    const token = analyze('model v(8x8x1) {\n  patchify(8, 4) -> token(1)\n}').diagnostics.map((d) => d.message);
    assert.deepEqual(token, ['token: index 1 is outside the 1 token, which are -1 to 0.']);
  });
});

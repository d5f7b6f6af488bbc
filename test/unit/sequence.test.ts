/**
 * The sequence (Vision Transformer) layers: patchify, cls_token, pos_embed, layernorm, attention, token,
 * mean_tokens and dense per token. Shapes, parameters and MACs by hand, located errors for the wrong kind of
 * tensor, ViT-B/16's published counts through `skipnet summary`, and the exports built and run in PyTorch 1.13.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, describeProvenance, formatShape, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { lineCol, readExample } from '../support/examples';
import { assertMatchesCore, runInPyTorch } from '../support/torch';
import { runCliIn as run } from './helpers';
import { EVERY_SEQUENCE_LAYER } from '../support/sequenceModels';

function graph(text: string): ModelGraph {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  return analysis.models[0];
}

/** "line:col code message" of each error, as an editor shows them. */
function errors(text: string): string[] {
  return analyze(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${lineCol(text, d.range.start)} ${d.code} ${d.message}`);
}

describe('sequence layers: shapes, parameters and MACs by hand', () => {
  const model = graph(EVERY_SEQUENCE_LAYER);
  const node = (id: string) => model.nodeById.get(id)!;
  it('patchify: 9×9×3 in 3×3 patches is 9 tokens; weights 8·3·3·3 + 8, MACs 9·8·27', () => {
    assert.equal(formatShape(node('patches').shape), '9 tokens × 8');
    assert.equal(node('patches').params, 224n);
    assert.equal(node('patches').macs, 1944n);
  });

  it('cls_token adds one token and D weights; pos_embed adds T·D weights and keeps the shape', () => {
    assert.deepEqual(node('cls').shape, [10, 8]);
    assert.equal(node('cls').params, 8n);
    assert.deepEqual(node('pos').shape, [10, 8]);
    assert.equal(node('pos').params, 80n);
    assert.equal(node('cls').macs + node('pos').macs, 0n);
  });

  it('layernorm has 2·D weights; attention 4·D² + 4·D and 4·T·D² + 2·T²·D MACs', () => {
    assert.equal(node('enc/ln_1').params, 16n);
    assert.equal(node('enc/attn').params, BigInt(4 * 64 + 4 * 8));
    assert.equal(node('enc/attn').macs, BigInt(4 * 10 * 64 + 2 * 100 * 8));
    assert.deepEqual(node('enc/attn').shape, [10, 8]);
  });

  it('dense acts on each token: D_in·D_out + D_out weights, T times the MACs of one token', () => {
    assert.deepEqual(node('enc/dense1').shape, [10, 16]);
    assert.equal(node('enc/dense1').params, 144n);
    assert.equal(node('enc/dense1').macs, BigInt(10 * 8 * 16));
    // `channels` of a sequence is D: dense(d) with d=channels gives back 8 features.
    assert.deepEqual(node('enc/dense2').shape, [10, 8]);
  });

  it('token and mean_tokens read a D-vector; the residual add keeps the sequence', () => {
    assert.deepEqual(node('first').shape, [8]);
    assert.deepEqual(node('last').shape, [8]);
    assert.deepEqual(node('avg').shape, [8]);
    assert.deepEqual(node('enc/x').shape, [10, 8]);
    assert.equal(describeProvenance(node('first')), '8 = enc/add1 8');
  });

  it('the whole model: 1,210 parameters and 8,904 MACs', () => {
    assert.equal(model.totals.params, 1210n);
    assert.equal(model.totals.macs, 8904n);
  });
});

describe('sequence layers: located errors', () => {
  it('attention heads that do not divide D point at the heads argument', () => {
    const text = 'model m(8x8x3) {\n  patchify(4, 10) -> attention(4)\n}';
    assert.deepEqual(errors(text), ["2:32 invalid-size attention: 4 heads do not divide the 10 features of each token (10 % 4 = 2); choose heads that divide D, as nn.MultiheadAttention requires."]);
  });

  it('patchify on a size the patch does not divide points at the patch', () => {
    const text = 'model m(9x8x3) {\n  patchify(4, 16)\n}';
    assert.deepEqual(errors(text), ['2:12 invalid-size patchify: the 9×8 input does not divide into 4×4 patches (9 % 4 = 1); choose a patch that divides both sides, or resize the input.']);
  });

  it('a convolution on tokens and attention on a feature map name the shape they got and the fix', () => {
    assert.deepEqual(errors('model m(8x8x3) {\n  patchify(4, 16)\n  conv(8, 3)\n}'), [
      '3:3 invalid-shape conv needs an image-shaped input (H×W×C) but gets a sequence of 4 tokens × 16; a sequence takes dense, layernorm, attention, token or mean_tokens (mean_tokens is its gap).',
    ]);
    assert.deepEqual(errors('model m(14x14x768) {\n  attention(12)\n}'), [
      '2:3 invalid-shape attention needs a sequence (tokens × D) but gets a 14×14×768 feature map; turn the map into tokens first with patchify(patch, dim).',
    ]);
    assert.deepEqual(errors('model m(8x8x3) {\n  patchify(4, 16) -> token(0) -> cls_token()\n}'), [
      '2:34 invalid-shape cls_token needs a sequence (tokens × D) but gets a flat vector of 16; it works on tokens, before token(0) or mean_tokens.',
    ]);
  });

  it('layernorm on a map, bn and gap on tokens, and a token index past the end are refused', () => {
    assert.deepEqual(errors('model m(8x8x3) {\n  layernorm\n}'), ['2:3 invalid-shape layernorm normalises the features of each token but gets an 8×8×3 feature map; use bn on feature maps, or patchify first.']);
    assert.deepEqual(errors('model m(8x8x3) {\n  patchify(4, 16) -> bn\n}'), ['2:22 invalid-shape bn normalises channels over the batch and the image but gets a sequence of 4 tokens × 16; use layernorm on tokens.']);
    assert.match(errors('model m(8x8x3) {\n  patchify(4, 16) -> gap\n}')[0], /gap needs an image-shaped input \(H×W×C\) but gets a sequence of 4 tokens × 16; .*mean_tokens is its gap/);
    assert.deepEqual(errors('model m(8x8x3) {\n  patchify(4, 16) -> token(4)\n}'), ['2:28 invalid-shape token: index 4 is outside the 4 tokens, which are -4 to 3.']);
  });
});

describe('ViT-B/16 (examples/vit_b_16.skipnet)', () => {
  it('has torchvision 0.14 vit_b_16\'s 86,567,656 parameters and 17.56 G MACs in skipnet summary', () => {
    const { code, out } = run(['summary', 'examples/vit_b_16.skipnet']);
    assert.equal(code, 0);
    assert.match(out, /Trainable params: 86,567,656/);
    // 196 patches, 12 blocks of 4·T·D² + 2·T²·D + 2·T·D·3072 at T = 197, D = 768, and the head.
    const t = 197n;
    const d = 768n;
    const macs = 196n * 768n * 768n + 12n * (4n * t * d * d + 2n * t * t * d + 2n * t * d * 3072n) + 768n * 1000n;
    assert.equal(macs, 17_563_828_224n);
    assert.match(out, /MACs per sample: 17,563,828,224 \(17\.56 G\)/);
    assert.match(out, /encoder_layer_1\/self_attention\s+attention\s+197 tokens × 768\s/);
  });

  it('exports to the PyTorch modules torchvision uses (its count in PyTorch is checked with every example in export.test)', () => {
    const analysis = analyze(readExample('vit_b_16.skipnet'));
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, 'vit_b_16.skipnet');
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.match(result.code, /self\.self_attention = SelfAttention\(s_ln_1\[1\], heads\)/);
    assert.match(result.code, /super\(\)\.__init__\(dim, heads, dropout=dropout, batch_first=True\)/);
    assert.match(result.code, /nn\.LayerNorm\(in_shape\[-1\], eps=0\.000001\)/);
  });
});

describe('every sequence layer in PyTorch 1.13', () => {
  it('exports, builds and runs forward and backward with the core’s parameters, names and every layer’s shape', () => {
    const analysis = analyze(EVERY_SEQUENCE_LAYER);
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, 'every_sequence.skipnet');
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const [report] = runInPyTorch([{ code: result.code, className: result.className }]);
    assertMatchesCore(model, report, 'every_sequence');
  });
});

/**
 * Models with several inputs and tied (shared) weights: counts as PyTorch counts them (a Parameter used twice is
 * counted once), MACs of every application, the errors, the hover and summary text, and the export, checked
 * against a hand-written PyTorch module and by running it (Debian python3-torch).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { hoverAt } from '../../src/core/language';
import { summarize } from '../../src/core/summary';
import { exportPyTorch } from '../../src/export/pytorch';
import { checkTrainable } from '../../src/train/dataset';
import { readExample } from '../support/examples';
import { assertMatchesCore, PYTHON, runInPyTorch } from '../support/torch';
import { offsetOf, slice } from './helpers';

const SIAMESE = readExample('siamese_mnist.skipnet');

/** The Siamese example written by hand in PyTorch: one tower module called on both inputs. */
const HAND_WRITTEN = `
import torch, torch.nn as nn
class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(7 * 7 * 32, 64), nn.ReLU())
    def forward(self, x):
        return self.f(x)
class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = Tower()
        self.head = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 2))
    def forward(self, a, b):
        return self.head(torch.cat([self.tower(a), self.tower(b)], dim=1))
m = Siamese()
print(sum(p.numel() for p in m.parameters()), sum(b.numel() for n, b in m.named_buffers() if not n.endswith("num_batches_tracked")))
`;

describe('several inputs and tied weights', () => {
  it('the Siamese example: two named inputs, one tower counted once, its MACs twice', () => {
    const analysis = analyze(SIAMESE);
    assert.deepEqual(analysis.diagnostics, []);
    const graph = analysis.models[0];
    assert.deepEqual(graph.inputs, ['a', 'b']);
    assert.deepEqual(graph.nodes.filter((n) => n.kind === 'input').map((n) => [n.id, n.shape]), [['a', [28, 28, 1]], ['b', [28, 28, 1]]]);
    // Tower: conv 1·16·9 + 16, bn 32, conv 16·32·9 + 32, bn 64, dense 1568·64 + 64 = 105,312; head 128·64 + 64 + 64·2 + 2.
    assert.equal(graph.totals.params, 105_312n + 8_386n);
    assert.equal(graph.totals.buffers, 2n * (16n + 32n));
    // Tower MACs 28·28·16·9 + 14·14·32·9·16 + 1568·64 = 1,116,416, twice; head 128·64 + 64·2.
    assert.equal(graph.totals.macs, 2n * 1_116_416n + 8_320n);
    assert.equal(graph.nodeById.get('fb/conv1')!.sharedWith, 'fa/conv1');
    assert.equal(graph.nodeById.get('fb/conv1')!.params, 0n);
    assert.equal(graph.nodeById.get('fb/conv1')!.macs, 112_896n);
    assert.equal(graph.groupById.get('fb')!.sharedWith, 'fa');
    assert.equal(graph.groupById.get('fb')!.params, 0n);
    assert.deepEqual(graph.nodeById.get('fb/conv1')!.inputs, ['b']);
    assert.deepEqual(graph.nodeById.get('concat1')!.provenance, [{ source: 'fa/dense1', channels: 64 }, { source: 'fb/dense1', channels: 64 }]);
  });

  it('a hand-written PyTorch module with one tower called twice has the same parameter and buffer counts', () => {
    const run = spawnSync(PYTHON, ['-c', HAND_WRITTEN], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), '113698 96');
    assert.equal(analyze(SIAMESE).models[0].totals.params, 113_698n);
  });

  it('the export keeps the weights tied: forward(a, b) calls the same submodule twice, and PyTorch agrees with the core', () => {
    const analysis = analyze(SIAMESE);
    const graph = analysis.models[0];
    const exported = exportPyTorch(analysis, graph, 'siamese_mnist.skipnet');
    assert.ok(exported.ok);
    assert.match(exported.code, /^ {4}def forward\(self, a, b\):$/m);
    assert.match(exported.code, /^ {8}fa = self\.fa\(a\)$/m);
    assert.match(exported.code, /^ {8}fb = self\.fa\(b\)$/m);
    assert.doesNotMatch(exported.code, /self\.fb =/);
    const [report] = runInPyTorch([{ code: exported.code, className: exported.className }]);
    assertMatchesCore(graph, report, 'siamese_mnist.skipnet');
    assert.equal(report.params, 113_698);
  });

  it('one tied conv: parameters once, MACs per application, hand-computed', () => {
    const graph = analyze('model m(a: 8x8x3, b: 8x8x3) {\n  c: a -> conv(4, 3)\n  d: b -> shared(c)\n  add(c, d) -> gap -> dense(2)\n}\n').models[0];
    // conv 3·4·9 + 4 = 112 once; dense 4·2 + 2 = 10. MACs: 6·6·4·27 = 3,888 per application, + 8.
    assert.equal(graph.totals.params, 122n);
    assert.equal(graph.totals.macs, 2n * 3_888n + 8n);
    assert.equal(graph.nodeById.get('d')!.sharedWith, 'c');
    assert.deepEqual(graph.nodeById.get('d')!.shape, [6, 6, 4]);
  });

  it('applying a tied layer to another shape is an error that names both shapes, at the call', () => {
    const text = 'model m(a: 8x8x3, b: 6x6x3) {\n  c: a -> conv(4, 3)\n  d: b -> shared(c)\n  concat(c) -> gap -> dense(2)\n}\n';
    const analysis = analyze(text);
    const error = analysis.diagnostics.find((d) => d.code === 'shape-mismatch')!;
    assert.equal(slice(text, error.range), 'shared(c)');
    assert.equal(error.message, 'shared(c) applies the weights of c, built for 8×8×3, to 6×6×3; tied weights need the same input shape.');
    assert.deepEqual(error.related!.map((r) => r.message), ['c is applied to 8×8×3 (from a)', 'this input is 6×6×3 (from b)']);
  });

  it('an input never read is a warning at its name; unknown labels, tensors and repeated inputs are errors', () => {
    const unused = 'model m(a: 8x8x3, b: 8x8x3) {\n  a -> conv(4, 3) -> gap -> dense(2)\n}\n';
    const warning = analyze(unused).diagnostics;
    assert.deepEqual(warning.map((d) => [d.code, d.severity, slice(unused, d.range), d.message]), [['unused-input', 'warning', 'b', "The input 'b' is never used; read it (b -> …) or remove it."]]);
    const unknown = 'model m(8x8x3) {\n  tower: conv(4, 3, pad=1)\n  shared(towr)\n}\n';
    const diagnostic = analyze(unknown).diagnostics;
    assert.deepEqual(diagnostic.map((d) => [d.code, slice(unknown, d.range), d.message]), [['unknown-name', 'towr', "Unknown layer or block label 'towr'. Did you mean 'tower'?"]]);
    const tensor = 'model m(8x8x3) {\n  s: add(in, in)\n  shared(s)\n}\n';
    assert.deepEqual(analyze(tensor).diagnostics.map((d) => [d.code, slice(tensor, d.range)]), [['argument-type', 's']]);
    const twice = 'model m(a: 8x8x3, a: 8x8x3) {\n  a -> gap\n}\n';
    assert.deepEqual(analyze(twice).diagnostics.map((d) => [d.code, d.range.start]), [['duplicate-name', twice.indexOf('a: 8x8x3, a') + 10]]);
    const clash = 'model m(a: 8x8x3, b: 8x8x3) {\n  a: b -> conv(3, 1)\n  add(a, b)\n}\n';
    // The label may not take the input's name; the input a is then never read.
    assert.deepEqual(analyze(clash).diagnostics.map((d) => [d.code, slice(clash, d.range)]), [['unused-input', 'a'], ['duplicate-name', 'a']]);
  });

  it('hover and summary say "shared with" the original layer', () => {
    const analysis = analyze(SIAMESE);
    const summary = summarize(analysis.models[0]);
    assert.equal(summary.rows.find((r) => r.id === 'fb/dense1')!.op, 'dense, shared with fa/dense1');
    assert.equal(summary.rows.find((r) => r.id === 'fa/dense1')!.op, 'dense');
    const text = 'model m(8x8x3) {\n  c: conv(3, 3, pad=1)\n  d: shared(c)\n}\n';
    const hover = hoverAt(analyze(text), offsetOf(text, 'd:'))!;
    assert.ok(hover.markdown.includes('- Parameters: shared with `c` (tied weights, counted there once)'), hover.markdown);
  });

  it('training takes a model with two inputs and refuses one with three with a clear message (checkTrainable runs first in both engines)', () => {
    assert.doesNotThrow(() => checkTrainable(analyze(SIAMESE).models[0], { batch: 32 }));
    const graph = analyze('model triple(a: 8x8x1, b: 8x8x1, c: 8x8x1) {\n  concat(a, b, c) -> gap -> dense(2)\n}\n').models[0];
    const message = 'Model triple has 3 inputs (a, b, c); the data sets feed one image or a pair of images per example, so a model with more than two inputs cannot be trained here. Its counts, graph and PyTorch export are complete.';
    assert.throws(() => checkTrainable(graph, { batch: 32 }), { name: 'TrainError', message });
  });
});

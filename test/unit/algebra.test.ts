import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze, describeProvenance, type ModelGraph } from '../../src/core';
import { residualShares, residualStages } from '../../src/core/algebra';
import { graphOf } from './trainHelpers';

const example = (name: string): ModelGraph => analyze(readFileSync(`examples/${name}.skipnet`, 'utf8')).models[0];

test('residualShares: each term over the sum of the norms the row has seen, null above the diagonal', () => {
  // ‖x_0‖ = 2, ‖F_0‖ = 1, ‖F_1‖ = 1: row 0 = [2/3, 1/3, —], row 1 = [2/4, 1/4, 1/4].
  assert.deepEqual(residualShares(2, [1, 1]), [
    [2 / 3, 1 / 3, null],
    [0.5, 0.25, 0.25],
  ]);
  assert.deepEqual(residualShares(0, [0]), [[0, 0]]);
  assert.throws(() => residualShares(1, [-1]), /a norm must be a finite number ≥ 0, not -1/);
  assert.throws(() => residualShares(Number.NaN, []), /not NaN/);
});

test('residualStages: ResNet-20 has one identity stage per width, the first of 3 blocks, then 2 and 2 (the downsampling block has a zero-padded shortcut)', () => {
  const model = example('resnet20');
  const stages = residualStages(model);
  assert.deepEqual(
    stages.map((s) => s.adds.length),
    [3, 2, 2],
  );
  const [first, second] = stages;
  // The stem's relu is x_0 of layer1; each block's residual output is its bn2 (conv → bn → relu → conv → bn).
  assert.equal(model.nodeById.get(first.input)?.kind, 'relu');
  assert.ok(first.residuals.every((id) => model.nodeById.get(id)?.kind === 'bn'), first.residuals.join());
  assert.ok(first.adds.every((id, i) => id.startsWith('layer1/') && model.nodeById.get(id)?.inputs.includes(first.residuals[i])));
  assert.ok(second.adds.every((id) => id.startsWith('layer2/')));
  // A relu follows every add, so x_0 + Σ F_i is approximate.
  assert.ok(stages.every((s) => s.approximate));
  assert.deepEqual(residualStages(example('plain20')), []);
  assert.deepEqual(residualStages(example('densenet40')), []);
});

test('residualStages: pre-activation blocks (no relu after the add) chain exactly; a projection shortcut is no identity', () => {
  const stages = residualStages(
    graphOf(`block pre() {
  r: bn -> relu -> conv(4, 3, pad=1)
  add(r, in)
}
block down() {
  p: conv(8, 1, stride=2)
  q: in -> conv(8, 3, stride=2, pad=1)
  add(p, q)
}
model m(8x8x4) {
  pre()
  pre()
  down()
  gap -> dense(2)
}`),
  );
  assert.equal(stages.length, 1);
  assert.deepEqual([stages[0].adds.length, stages[0].input, stages[0].approximate], [2, 'input', false]);
});

test('an add tells what it sums: "16 = basic1/residual 16 + basic1/shortcut 16, summed"', () => {
  const model = example('resnet20');
  const add = model.nodes.find((n) => n.kind === 'add')!;
  const text = describeProvenance(add);
  // The chains are labelled `residual:` and `shortcut:` in the example, so their last layers carry those names.
  assert.equal(text, '16 = basic1/residual 16 + basic1/shortcut 16, summed');
  const [a, b] = add.inputs.map((id) => model.nodeById.get(id)!);
  assert.deepEqual([a.kind, b.kind], ['bn', 'zeropad']);
  assert.ok(text.includes(`${a.id.split('/').slice(-2).join('/')} 16`), text);
  const concat = example('densenet40').nodes.find((n) => n.kind === 'concat')!;
  assert.doesNotMatch(describeProvenance(concat), /summed/);
});

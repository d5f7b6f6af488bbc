/**
 * `skipnet algebra` (src/cli/algebra.ts): the merge algebra's matrices at initialisation from the engine's own
 * statistics of one batch. Residual shares are checked against hand-computed values on a residual block whose
 * weights the test sets (F(x) = 2x, so x_0 holds 1/3 of the stream and F_0 2/3); the DenseNet matrix's layout
 * (lower triangle, one column per source) and the seeding through the real CLI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { algebraAtInitialisation, algebraTables, type AlgebraReport } from '../../src/cli/algebra';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { graphOf } from './trainHelpers';
import { twoPixelDataset } from '../support/twoPixel';

const TWO_BLOCKS = `
block res() {
  branch: dense(2)
  add(branch, in)
}
model doubling(2) {
  res()
  res()
  train { optimizer: sgd; lr: 0.1; batch: 4; epochs: 1; seed: 1 }
}`;


test('residual shares by hand: F_0(x) = 2x and F_1(x) = 3x give x_0 1/3, F_0 2/3 after add 0, then 1/12, 2/12, 9/12 after add 1', async () => {
  await useNodeBackend('cpu');
  const graph = graphOf(TWO_BLOCKS);
  const dense = graph.nodes.filter((n) => n.kind === 'dense').map((n) => n.id);
  assert.equal(dense.length, 2);
  // x_1 = x_0 + 2 x_0 = 3 x_0, F_1 = 3 x_1 = 9 x_0: norms in the ratio 1 : 2 : 9, so after add 1 the shares are 1/12, 2/12, 9/12.
  const initialWeights = {
    [`${dense[0]}/kernel`]: [2, 0, 0, 2],
    [`${dense[0]}/bias`]: [0, 0],
    [`${dense[1]}/kernel`]: [3, 0, 0, 3],
    [`${dense[1]}/bias`]: [0, 0],
  };
  const report = await algebraAtInitialisation(graph, { dataset: twoPixelDataset(8), initialWeights });
  assert.equal(report.dense.length, 0);
  assert.equal(report.residual.length, 1, 'one identity-shortcut stage of two adds');
  const [stage] = report.residual;
  assert.equal(stage.adds.length, 2);
  const [x0, f0, f1] = stage.norms;
  assert.ok(Math.abs(f0 / x0 - 2) < 1e-5 && Math.abs(f1 / x0 - 9) < 1e-5, `norms ${stage.norms}`);
  const expected = [
    [1 / 3, 2 / 3, null],
    [1 / 12, 2 / 12, 9 / 12],
  ];
  stage.shares.forEach((row, i) => row.forEach((share, j) => (expected[i][j] === null ? assert.equal(share, null) : assert.ok(Math.abs(share! - expected[i][j]!) < 1e-5, `share [${i}][${j}] = ${share}`))));
  const text = algebraTables(report).join('\n');
  assert.match(text, /^doubling at initialisation \(seed 1, one batch of 4 images\)/);
  assert.match(text, /33\.3%\s+66\.7%/);
  assert.match(text, /8\.3%\s+16\.7%\s+75\.0%/);
});

const DENSE = `
block dl(k) {
  bn -> relu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}
model tiny_dense(28x28x1) {
  conv(3, 3, stride=4, pad=1)
  dl(2)
  dl(2)
  dl(2)
  gap -> dense(10)
  train { dataset: mnist; optimizer: sgd; lr: 0.1; batch: 4; epochs: 1; seed: 5 }
}`;

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: () => DENSE, writeFile: () => undefined };
}

test('skipnet algebra --json on a DenseNet: a lower-triangular source × target matrix, the same for the same seed and another for another seed', async () => {
  const run = async (seed: number): Promise<AlgebraReport> => {
    const io = capture();
    assert.equal(await runCliAsync(['algebra', 'dense.skipnet', '--batch', '2', '--seed', String(seed), '--json'], io), 0, io.errors.join('\n'));
    assert.equal(io.lines.length, 1, 'one JSON object');
    return JSON.parse(io.lines[0]) as AlgebraReport;
  };
  const a = await run(7);
  assert.equal(a.model, 'tiny_dense');
  assert.deepEqual([a.seed, a.batch], [7, 2]);
  assert.equal(a.dense.length, 1);
  const [map] = a.dense;
  // Three dense layers read 1, 2 and 3 sources (the stem, then each earlier layer's new channels).
  assert.equal(map.sources.length, 3);
  assert.deepEqual(
    map.rows.map((r) => r.values.map((v) => v !== null)),
    [
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ],
  );
  for (const row of map.rows) row.contributions!.forEach((c, s) => assert.ok(row.values[s] === null ? c === null : c! > 0, `contribution ${c}`));
  assert.deepEqual(await run(7), a, 'seeded: the same figures again');
  assert.notDeepEqual((await run(8)).dense[0].rows[0].contributions, map.rows[0].contributions);
  const io = capture();
  assert.equal(await runCliAsync(['algebra', 'dense.skipnet', '--batch', '2'], io), 0);
  assert.match(io.lines.join('\n'), /DenseNet dl1: f_ℓ = Σ_s H_ℓ\^s \* X_s/);
  const bad = capture();
  assert.equal(await runCliAsync(['algebra', 'dense.skipnet', '--batch', '0'], bad), 2);
  assert.match(bad.errors[0], /--batch must be a whole number from 1 to 4096, not '0'/);
});

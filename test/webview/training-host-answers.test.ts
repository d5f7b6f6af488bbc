/**
 * The answer views of a run the extension host trains (the PyTorch engine), drawn from the runner's lines as the
 * host forwards them: the gradient-by-path-length chart from a `pathGradients` line (Veit et al. 2016, §4.2), and the
 * algebra matrices from a `statistics` line's DenseNet contributions and ResNet residual shares (webview/statistics/
 * algebra.ts). The real main.js under the real CSP in headless Chromium; the lines pass the runner protocol's validator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { residualStages } from '../../src/core/algebra';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { MergePlan } from '../../src/train/statsPlan';
import { parseRunnerLine } from '../../src/train/pytorch/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const MODEL = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
block dl(k) {
  bn -> relu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  stage: repeat 2 res()
  block1: repeat 2 dl(2)
  gap -> dense(10)
  train { dataset: mnist; batch: 8; epochs: 1 }
}
`;

const RUN_ID = 3;
const RUN: TrainingRun = { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` }, engine: 'pytorch', runId: RUN_ID };

const graph = analyze(MODEL).models[0];

function send(w: WebviewPage, event: unknown): Promise<void> {
  const line = JSON.stringify(event);
  const parsed = parseRunnerLine(line);
  assert.ok(parsed.ok, `the runner protocol refuses ${line}: ${parsed.ok ? '' : parsed.error}`);
  return w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: RUN_ID, line });
}

async function waitFor(w: WebviewPage, predicate: string): Promise<void> {
  await w.page.waitForFunction(predicate, undefined, { timeout: 120_000 });
}

test('a PyTorch run draws the gradient-by-path-length chart and the algebra matrices from its runner lines', async () => {
  const w = await openWebview(browser());
  const analysis = analyze(MODEL);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await waitFor(w, `document.getElementById('training')?.dataset.runEngine === 'pytorch'`);
  await send(w, { type: 'started', backend: 'pytorch 1.13.0 · cpu · 2 threads', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 });
  await send(w, { type: 'progress', epoch: 1, epochs: 1, step: 1, totalSteps: 100, loss: 2.25, accuracy: 0.25, imagesPerSecond: 640, etaSeconds: 3 });

  // The model's own stage and dense block, as the runner's plan names them.
  const [stage] = residualStages(graph);
  assert.deepEqual(stage.adds, ['stage1/add1', 'stage2/add1']);
  const maps = new MergePlan(graph).reuseMaps();
  assert.equal(maps.length, 1);
  const norms = [3, 1, 2];
  const reuse = maps.map(({ block, groups, sources, targets }) => ({
    block,
    groups,
    sources,
    rows: targets.map((i, r) => {
      const target = new MergePlan(graph).reuseTargets[i];
      const reads = sources.map((s) => target.segments.some((seg) => seg.source === s));
      return { conv: target.conv, values: reads.map((read, s) => (read ? 0.1 * (s + 1) : null)), contributions: reads.map((read, s) => (read ? 1.5 + r + 0.25 * s : null)) };
    }),
  }));
  await send(w, {
    type: 'statistics',
    statistics: {
      step: 1,
      layers: [],
      merges: [],
      reuse,
      residual: [{ block: 'stage1', adds: stage.adds, sources: [stage.input, ...stage.residuals], norms, shares: [[0.75, 0.25, null], [0.5, 1 / 6, 1 / 3]], approximate: stage.approximate }],
    },
  });
  const lengths = [
    { length: 0, paths: 1, sampled: 1, meanNorm: 0.8, total: 0.8 },
    { length: 1, paths: 2, sampled: 2, meanNorm: 0.3, total: 0.6 },
    { length: 2, paths: 1, sampled: 1, meanNorm: 0.1, total: 0.1 },
  ];
  await send(w, { type: 'pathGradients', step: 1, residualAdds: 2, lengths });

  // The path chart: one bar per length, the totals the line carried.
  await waitFor(w, `document.getElementById('chart-path-gradients')?.dataset.step === '1'`);
  const chart = w.page.locator('#chart-path-gradients');
  assert.equal(await chart.getAttribute('data-totals'), '0.8000,0.6000,0.1000');
  assert.equal(await chart.locator('.chart-title').textContent(), 'Gradient by path length, step 1 (2 residual blocks, 4 paths)');
  assert.equal(await chart.locator('svg [aria-label="bar"] rect').count(), 3);

  // The algebra matrices: the dense block's contributions, then the stage's shares, cell for cell.
  await waitFor(w, `document.querySelectorAll('.stats-algebra figure').length === 2`);
  const figures = w.page.locator('.stats-algebra figure');
  assert.deepEqual(await figures.evaluateAll((fs) => fs.map((f) => f.id)), ['algebra-dense-0', 'algebra-residual-0']);
  const cells = (id: string) => w.page.locator(`#${id} g.algebra-cells rect`).evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-row'), r.getAttribute('data-col'), Number(r.getAttribute('data-value'))]));
  const dense = reuse[0].rows.flatMap((row) => row.contributions.flatMap((v, s) => (v === null ? [] : [[row.conv, reuse[0].sources[s], v]])));
  assert.ok(dense.length >= 2, `${dense.length} dense cells`);
  assert.deepEqual(await cells('algebra-dense-0'), dense);
  const residualCells = await cells('algebra-residual-0');
  assert.deepEqual(residualCells.map((c) => [c[0], c[2]]), [[stage.adds[0], 0.75], [stage.adds[0], 0.25], [stage.adds[1], 0.5], [stage.adds[1], 1 / 6], [stage.adds[1], 1 / 3]]);
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

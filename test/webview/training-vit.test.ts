/**
 * A Vision Transformer trains in the graph webview: examples/vit_tiny.skipnet (patchify, class token, position
 * embedding, four pre-norm encoder blocks of layernorm, attention and MLP with residual adds, the head on token 0)
 * in the real bundles under the real CSP in headless Chromium, TensorFlow.js on the wasm backend, on the bundled
 * MNIST. The loss stays finite and falls on average, and the statistics overlay colours the sequence layers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { ROOT } from '../support/examples';
import { DOC_URI, ORIGIN, openWebview, useBrowser } from './harness';

const browser = useBrowser();

// The example as written, with a batch and learning rate that show the fall within a few dozen steps.
const TEXT = readFileSync(join(ROOT, 'examples', 'vit_tiny.skipnet'), 'utf8').replace(/train \{[^}]*\}/, 'train { dataset: mnist; batch: 32; optimizer: adam; lr: 0.002; epochs: 1; seed: 1 }');
const STEPS = 40;
// Nodes of each sequence kind whose overlay must be painted (patchify, attention, layernorm, dense per token).
const PAINTED = ['conv_proj', 'encoder_layer_1/self_attention', 'encoder_layer_4/ln_2', 'encoder_layer_2/mlp/linear_1'];

test(`vit_tiny trains ${STEPS} steps on MNIST in the page: a finite loss that falls on average, and statistics colour its sequence layers`, async () => {
  const w = await openWebview(browser());
  const analysis = analyze(TEXT);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['vit_tiny'] }));
  const ids = await w.page.evaluate(() => Array.from(document.querySelectorAll('#graph .node')).map((n) => n.getAttribute('data-id')));
  for (const id of PAINTED) assert.ok(ids.includes(id), `node ${id} is drawn: ${ids.join(', ')}`);
  const run: TrainingRun = { model: 'vit_tiny', text: TEXT, backend: 'wasm', statsInterval: 5, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
  await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) >= n, STEPS, { timeout: 600_000 });
  // Every painted node has its badge (statistics arrive every 5 steps) and a fill from the overlay.
  await w.page.waitForFunction((list) => list.every((id) => (document.querySelector(`[data-id="${id}"] .stats-badge`)?.textContent ?? '') !== ''), PAINTED, { timeout: 120_000 });
  const paint = await w.page.evaluate((list) => list.map((id) => [(document.querySelector(`[data-id="${id}"] .shape`) as SVGElement | null)?.style.fill ?? '', document.querySelector(`[data-id="${id}"] .stats-badge`)?.textContent ?? '']), PAINTED);
  for (const [i, [fill, badge]] of paint.entries()) {
    assert.notEqual(fill, '', `${PAINTED[i]} is coloured`);
    assert.match(badge, /^-?\d/, `${PAINTED[i]} badge`);
  }
  await w.page.locator('#train-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });

  // The losses the page reported to the host, by step of the run.
  const losses = (await w.posted())
    .filter((m): m is Extract<WebviewToHost, { type: 'trainingProgress' }> => m.type === 'trainingProgress')
    .map(({ progress: p }) => ({ step: (p.epoch - 1) * p.stepsPerEpoch + p.step, loss: p.loss }));
  for (const { step, loss } of losses) assert.ok(Number.isFinite(loss) && loss > 0, `step ${step} loss ${loss}`);
  const mean = (list: { loss: number }[]): number => list.reduce((s, l) => s + l.loss, 0) / list.length;
  const early = losses.filter((l) => l.step <= 10);
  const late = losses.filter((l) => l.step > STEPS - 10);
  assert.ok(early.length > 0 && late.length > 0, JSON.stringify(losses));
  assert.ok(mean(late) < mean(early) - 0.2, `mean loss of steps 1–10 ${mean(early)}, of steps ${STEPS - 9}–: ${mean(late)}; ${JSON.stringify(losses)}`);
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

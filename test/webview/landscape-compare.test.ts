/**
 * The loss landscape in the Compare view: a residual net and its no-skip ablation trained by Train both (real
 * train.js workers, cpu backend, MNIST), paused, and measured side by side: the paper's Fig. 1 on a user's model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const TEXT = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model residual(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  gap -> dense(10)
  train { dataset: mnist; optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1 }
}
`;

const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);

/** Waits for the landscape panel's state (a function, not a string: the page's CSP refuses eval). */
async function waitForPanel(w: WebviewPage, state: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('landscape')?.dataset.state === s, state, { timeout: 300_000 });
}

test('Compare: the model and its no-skip ablation, paused, get their landscapes side by side on one scale; Resume trains both on', async () => {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  const specs: [SideSpec, SideSpec] = [
    { uri: 'file:///work/residual.skipnet', file: 'residual.skipnet', model: 'residual', withoutSkips: false },
    { uri: 'file:///work/residual.skipnet', file: 'residual.skipnet', model: 'residual', withoutSkips: true },
  ];
  await send(w, buildCompareMessage(specs, [TEXT, TEXT], 1, { collapseThreshold: 150, direction: 'down' }));
  await w.page.locator('#train-both').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'));
  const plan = planTrainBoth(specs, [TEXT, TEXT]);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const run = (i: 0 | 1) => ({ run: { model: 'residual', text: TEXT, backend: 'cpu' as const, statsInterval: 5, dataset }, withoutSkips: specs[i].withoutSkips });
  await send(w, { type: 'startTrainBoth', revision: 1, runs: [run(0), run(1)], config: plan.shared });
  await w.page.waitForFunction(() => ['0', '1'].every((s) => Number(document.querySelector(`#chart-loss path.series.side-${s}`)?.getAttribute('data-points') ?? 0) >= 3), undefined, { timeout: 300_000 });
  assert.equal(await w.page.locator('#landscape').getAttribute('data-state'), 'unavailable');
  await w.page.locator('#train-both-pause').click();
  // Both engines hold their runs: the panel is offered both.
  await waitForPanel(w, 'ready');
  await w.page.locator('#landscape-kind').selectOption('both');
  await w.page.locator('#landscape-samples').selectOption('32');
  await w.page.locator('#landscape-estimate').click();
  await waitForPanel(w, 'estimated');
  assert.match((await w.page.locator('#landscape-status').textContent()) ?? '', /^41 \+ 441 evaluations, × 2 models = 964 × 32 held-out images \(30,848 image passes\); one evaluation took /);
  await w.page.locator('#landscape-start').click();
  await waitForPanel(w, 'done');
  const figures = await w.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#landscape-charts figure.landscape-figure')].map((f) => {
      const svg = f.querySelector('svg.landscape-line, svg.landscape-surface')!;
      const ticks = [...svg.querySelectorAll('[aria-label="y-axis tick label"] text')].map((t) => t.textContent);
      return { side: f.dataset.side, kind: f.dataset.kind, caption: f.querySelector('figcaption')!.textContent ?? '', points: svg.getAttribute('data-points'), grid: svg.getAttribute('data-grid'), ticks, box: f.getBoundingClientRect().toJSON() as DOMRect };
    }),
  );
  assert.deepEqual(figures.map((f) => `${f.kind}:${f.side}`), ['line:0', 'line:1', 'surface:0', 'surface:1']);
  assert.match(figures[0].caption, /^A: residual · 1-D/);
  assert.match(figures[1].caption, /^B: residual without skips · 1-D/);
  assert.deepEqual([figures[0].points, figures[1].points], ['41', '41']);
  assert.deepEqual([figures[2].grid, figures[3].grid], ['21x21', '21x21']);
  // One scale for both sides: the same y ticks on both 1-D charts.
  assert.ok(figures[0].ticks.length >= 2);
  assert.deepEqual(figures[0].ticks, figures[1].ticks);
  // Side by side: B's chart to the right of A's, on the same row.
  assert.ok(figures[1].box.left >= figures[0].box.right - 1 && Math.abs(figures[1].box.top - figures[0].box.top) < 1, JSON.stringify([figures[0].box, figures[1].box]));
  assert.ok(figures[3].box.left >= figures[2].box.right - 1, JSON.stringify([figures[2].box, figures[3].box]));
  await w.page.locator('#train-both-resume').click();
  await waitForPanel(w, 'unavailable');
  const before = await w.page.evaluate(() => Number(document.querySelector('#chart-loss path.series.side-1')?.getAttribute('data-points') ?? 0));
  await w.page.waitForFunction((n) => Number(document.querySelector('#chart-loss path.series.side-1')?.getAttribute('data-points') ?? 0) > n, before, { timeout: 120_000 });
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

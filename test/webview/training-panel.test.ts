/**
 * The training panel's size in the graph webview (webview/training/panel-size.ts), on the real main.js under the
 * real CSP in headless Chromium at 1200×800, with a run the host trains (its events sent as the host forwards
 * them, so no engine runs): the header toggle folds the panel to its control row, the handle under it resizes
 * it by keyboard and by drag, the charts scale with it, and every text of the panel reaches WCAG AA (4.5:1) on
 * what it is painted on, each in VS Code's dark, light and both high-contrast themes (harness THEMES); a view
 * reopened from the saved state keeps its height and fold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun, type WebviewState } from '../../src/protocol';
import { applyTheme, contrastRatio, DOC_URI, openWebview, ORIGIN, paintedTexts, THEMES, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

const MODEL = `model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  gap -> dense(10)
  train { dataset: mnist; batch: 8; epochs: 1 }
}
`;

const RUN: TrainingRun = { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` }, engine: 'pytorch', runId: 3 };

/** The graph page (restored from `state` when given, in `theme`) with a host run at step 2, so the charts show. */
async function openRunning(state?: unknown, theme: (typeof THEMES)[number] = THEMES[0]): Promise<WebviewPage> {
  const w = await openWebview(browser(), state);
  await applyTheme(w, theme);
  const analysis = analyze(MODEL);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.runEngine === 'pytorch');
  const line = (value: unknown): Promise<void> => w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 3, line: JSON.stringify(value) });
  await line({ type: 'started', backend: 'pytorch 1.13.0 · cpu', params: 100, totalSteps: 100, batch: 8, notes: [], replicas: 1 });
  for (const step of [1, 2]) await line({ type: 'progress', epoch: 1, epochs: 1, step, totalSteps: 100, loss: 2 / step, accuracy: 0.2, imagesPerSecond: 100, etaSeconds: 5 });
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'running' && document.querySelector('#chart-loss svg') !== null && document.getElementById('train-step')?.textContent === 'step 2/100');
  return w;
}

const height = (w: WebviewPage, selector: string): Promise<number> => w.page.locator(selector).first().evaluate((e) => e.getBoundingClientRect().height);
const saved = (w: WebviewPage): Promise<WebviewState> => w.page.evaluate(() => window.__state as WebviewState);

for (const theme of THEMES) {
  test(`training panel (${theme.className}): its text readable, the toggle folds it to its row, the handle resizes it (keys and drag), charts follow`, async (t) => {
    const w = await openRunning(undefined, theme);
    const natural = await height(w, '#training');
    // Unsized, the panel never takes more than 35% of the 800 px window.
    assert.ok(natural <= 0.35 * 800 + 1, `natural height ${natural}`);

    await t.test('every text of the panel, charts included, at least 4.5:1 on what it is painted on', async () => {
      const texts = await paintedTexts(w, '#training');
      for (const label of ['Hide charts', 'step 2/100']) assert.ok(texts.some((p) => p.text === label), `${theme.className}: "${label}" painted: ${JSON.stringify(texts.map((p) => p.text))}`);
      assert.ok(texts.filter((p) => p.colour.startsWith('rgb') && /^\d/.test(p.text)).length >= 4, `${theme.className}: the charts' tick labels among them`);
      const poor = texts.filter((p) => contrastRatio(p.colour, p.background) < 4.5).map((p) => `"${p.text}" ${p.colour} on ${p.background}: ${contrastRatio(p.colour, p.background).toFixed(2)}:1`);
      assert.deepEqual(poor, [], theme.className);
      // The handle is there to grab: a visible strip under the panel, as wide as it.
      const [panel, handle] = await Promise.all(['#training', '.training-resize'].map((selector) => w.page.locator(selector).evaluate((e) => e.getBoundingClientRect().toJSON() as DOMRect)));
      assert.ok(handle.height >= 4 && Math.abs(handle.width - panel.width) <= 1 && Math.abs(handle.top - panel.bottom) <= 1, `${theme.className}: handle ${JSON.stringify(handle)} under ${JSON.stringify(panel)}`);
    });

    await t.test('the toggle folds the panel to its control row and back', async () => {
      const toggle = w.page.locator('#train-toggle');
      assert.equal(await toggle.textContent(), 'Hide charts');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      assert.equal(await toggle.textContent(), 'Show charts');
      assert.equal(await w.page.locator('.training-charts').isVisible(), false);
      assert.equal(await w.page.locator('.training-resize').isVisible(), false);
      // The row (with the step and the loss) stays; the panel is that row's height plus padding.
      assert.equal(await w.page.locator('#train-step').textContent(), 'step 2/100');
      const row = await height(w, '#training .training-row');
      const folded = await height(w, '#training');
      assert.ok(folded <= row + 12, `folded ${folded} px for a ${row} px row`);
      assert.equal((await saved(w)).training?.collapsed, true);
      await toggle.click();
      assert.equal(await w.page.locator('.training-charts').isVisible(), true);
      assert.equal((await saved(w)).training?.collapsed, false);
    });

    await t.test('arrow keys on the handle resize by 16 px a press; the charts grow with the panel', async () => {
      const before = await height(w, '#training');
      const chartBefore = await height(w, '#chart-loss svg');
      const textHeight = (): Promise<number> => w.page.locator('#chart-loss svg text').first().evaluate((e) => e.getBoundingClientRect().height);
      const textBefore = await textHeight();
      const handle = w.page.locator('.training-resize');
      assert.equal(await handle.getAttribute('role'), 'separator');
      await handle.focus();
      for (let i = 0; i < 5; i++) await w.page.keyboard.press('ArrowDown');
      const after = await height(w, '#training');
      assert.ok(Math.abs(after - (Math.round(before) + 80)) <= 1, `${before} → ${after}`);
      assert.equal(Number(await handle.getAttribute('aria-valuenow')), Math.round(after));
      assert.equal((await saved(w)).training?.height, Math.round(before) + 80);
      const chartAfter = await height(w, '#chart-loss svg');
      assert.ok(chartAfter > chartBefore + 40, `chart ${chartBefore} → ${chartAfter} px`);
      // Drawn again at the new height, not scaled: the axis text keeps its size and the plot is drawn at 1:1.
      assert.ok(Math.abs((await textHeight()) - textBefore) <= 0.5, `axis text ${textBefore} → ${await textHeight()} px`);
      assert.equal(Number(await w.page.locator('#chart-loss svg').getAttribute('height')), Math.round(chartAfter));
      // The chart keeps inside the panel: its bottom is above the handle.
      const chartBottom = await w.page.locator('#chart-loss svg').evaluate((e) => e.getBoundingClientRect().bottom);
      const handleTop = await handle.evaluate((e) => e.getBoundingClientRect().top);
      assert.ok(chartBottom <= handleTop + 1, `chart bottom ${chartBottom}, handle top ${handleTop}`);
      await w.page.keyboard.press('Home');
      assert.equal(Math.round(await height(w, '#training')), 120);
    });

    await t.test('dragging the handle down by 150 px makes the panel 150 px taller; the graph keeps the rest', async () => {
      const before = await height(w, '#training');
      const box = (await w.page.locator('.training-resize').boundingBox())!;
      await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await w.page.mouse.down();
      await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 75);
      await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 150);
      await w.page.mouse.up();
      const after = await height(w, '#training');
      assert.ok(Math.abs(after - before - 150) <= 1, `${before} → ${after}`);
      const stage = await height(w, '#stage');
      assert.ok(stage > 200, `graph keeps ${stage} px`);
      assert.equal((await saved(w)).training?.height, Math.round(after));
    });

    assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
    assert.deepEqual(w.consoleErrors, [], 'console errors');
    await w.page.context().close();
  });
}

test('training panel: a view reopened from the saved state has the same height and fold; a damaged state is ignored', async () => {
  const w = await openRunning();
  await w.page.locator('.training-resize').focus();
  for (let i = 0; i < 5; i++) await w.page.keyboard.press('ArrowDown');

  const state = await saved(w);
  const size = await height(w, '#training');
  const again = await openRunning({ ...state, training: { collapsed: false, height: state.training?.height ?? null } });
  assert.ok(Math.abs((await height(again, '#training')) - size) <= 1);
  await again.page.context().close();
  const folded = await openRunning({ ...state, training: { collapsed: true, height: state.training?.height ?? null } });
  assert.equal(await folded.page.locator('.training-charts').isVisible(), false);
  assert.equal(await folded.page.locator('#train-toggle').getAttribute('aria-expanded'), 'false');
  // A stored value from an older or damaged state is ignored, not applied.
  await folded.page.context().close();
  const damaged = await openRunning({ ...state, training: { collapsed: 'yes', height: -5 } });
  assert.equal(await damaged.page.locator('.training-charts').isVisible(), true);
  assert.ok((await height(damaged, '#training')) <= 0.35 * 800 + 1);
  assert.deepEqual(damaged.consoleErrors, [], 'console errors');
  await damaged.page.context().close();
  await w.page.context().close();
});

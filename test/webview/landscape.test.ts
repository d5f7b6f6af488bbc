/**
 * The loss landscape in the graph view's training bar: the real bundles (main.js, train.js) under the real CSP in
 * headless Chromium. A tiny model trains on MNIST on the cpu backend, is paused, and the panel estimates, computes
 * (or cancels) the landscape; the charts are checked in the DOM and in the heat map's pixels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const TINY = `model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  gap -> dense(10)
  train { dataset: mnist; optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1 }
}
`;

const RUN: TrainingRun = { model: 'tiny', text: TINY, backend: 'cpu', statsInterval: 5, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } };

async function pausedRun(): Promise<WebviewPage> {
  const w = await openWebview(browser());
  const analysis = analyze(TINY);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await w.page.waitForFunction(() => Number(document.getElementById('training')?.dataset.step ?? 0) >= 3, undefined, { timeout: 120_000 });
  await w.page.locator('#train-pause').click();
  // The engine's own acknowledgement, not the bar's optimistic state.
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.pausedStep !== undefined, undefined, { timeout: 120_000 });
  await waitForPanel(w, 'ready');
  return w;
}

async function waitForPanel(w: WebviewPage, state: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('landscape')?.dataset.state === s, state, { timeout: 300_000 });
}

/** Estimates `kind` on 32 held-out images (the cpu backend in a loaded browser takes about 0.1 s an evaluation). */
async function estimate(w: WebviewPage, kind: 'both' | 'line' | 'surface'): Promise<string> {
  await w.page.locator('#landscape-kind').selectOption(kind);
  await w.page.locator('#landscape-samples').selectOption('32');
  await w.page.locator('#landscape-estimate').click();
  await waitForPanel(w, 'estimated');
  return (await w.page.locator('#landscape-status').textContent()) ?? '';
}

test('paused: the cost comes first, then a 41-point line and a 21×21 heat map with contours and a colour bar; Resume trains on', async () => {
  const w = await pausedRun();
  const pausedStep = await w.page.evaluate(() => Number(document.getElementById('training')!.dataset.pausedStep));
  const cost = await estimate(w, 'both');
  assert.match(cost, /^41 \+ 441 evaluations = 482 × 32 held-out images \(15,424 image passes\); one evaluation took [\d.]+ (s|min \d+ s): about [\d.]+ (s|min \d+ s)\. Start\?$/);
  assert.equal(await w.page.evaluate(() => document.getElementById('landscape')!.dataset.charts), undefined, 'nothing drawn before Start');
  await w.page.locator('#landscape-start').click();
  await waitForPanel(w, 'done');
  assert.equal(await w.page.evaluate(() => document.getElementById('landscape')!.dataset.progress), '441');
  const chart = await w.page.evaluate(() => {
    const figures = [...document.querySelectorAll<HTMLElement>('#landscape-charts figure.landscape-figure')];
    const line = document.querySelector('#landscape-charts svg.landscape-line')!;
    const path = line.querySelector('g[aria-label="line"] path')!.getAttribute('d')!;
    const surfaceFigure = figures.find((f) => f.dataset.kind === 'surface')!;
    const surface = surfaceFigure.querySelector('svg.landscape-surface')!;
    const raster = surface.querySelector('image')!;
    // Plot's colour legend: an svg of its own holding the ramp image and its ticks.
    const ramp = [...surfaceFigure.querySelectorAll('svg')].find((s) => s !== surface && s.querySelector('image'));
    return {
      kinds: figures.map((f) => f.dataset.kind),
      dataPoints: line.getAttribute('data-points'),
      vertices: path.split(/[ML]/).filter((s) => s.trim()).length,
      grid: surface.getAttribute('data-grid'),
      contours: surface.querySelectorAll('path').length,
      raster: raster.getAttribute('href') ?? raster.getAttribute('xlink:href') ?? '',
      rampTicks: ramp ? [...ramp.querySelectorAll('text')].map((t) => t.textContent ?? '') : [],
      rampLabel: ramp?.textContent ?? '',
      captions: figures.map((f) => f.querySelector('figcaption')!.textContent),
    };
  });
  assert.deepEqual(chart.kinds, ['line', 'surface']);
  assert.equal(chart.dataPoints, '41');
  assert.equal(chart.vertices, 41);
  assert.equal(chart.grid, '21x21');
  assert.ok(chart.contours >= 3, `contour paths: ${chart.contours}`);
  assert.match(chart.raster, /^data:image\/png;base64,/);
  assert.ok(chart.rampTicks.length >= 2, `colour bar ticks: ${JSON.stringify(chart.rampTicks)}`);
  assert.match(chart.rampLabel, /loss/);
  assert.match(chart.captions[0] ?? '', /^tiny · 1-D · loss \d+\.\d{3}, accuracy \d+\.\d% at α = 0$/);
  // The heat map's pixels: 21×21 cells, the lowest loss darkest and the highest brightest (viridis).
  // (Where the lowest loss lies depends on the weights the run paused at and the random directions: the centre is
  // often but not always below every corner after a few steps.)
  const extremes = await w.page.evaluate(() => {
    const surface = document.querySelector('#landscape-charts svg.landscape-surface')!;
    return [surface.getAttribute('data-lowest')!, surface.getAttribute('data-highest')!].map((c) => c.split(',').map(Number));
  });
  const pixels = await w.page.evaluate(async ([href, cells]) => {
    const image = new Image();
    image.src = href;
    await image.decode();
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [image.width, image.height];
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, image.width, image.height).data;
    const at = (x: number, y: number) => { const i = (y * image.width + x) * 4; return [data[i], data[i + 1], data[i + 2]]; };
    const colours = new Set<string>();
    for (let i = 0; i < data.length; i += 4) colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
    const brightness = (c: number[]) => c[0] + c[1] + c[2];
    const all: number[] = [];
    for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) all.push(brightness(at(x, y)));
    // The raster holds the grid as computed, row j = β index j (Plot's y scale puts β = 1 at the top when drawn).
    const [lowest, highest] = cells.map(([i, j]) => brightness(at(i, j)));
    return { width: image.width, height: image.height, colours: colours.size, darkest: Math.min(...all), brightest: Math.max(...all), lowest, highest };
  }, [chart.raster, extremes] as const);
  assert.deepEqual([pixels.width, pixels.height], [21, 21]);
  assert.ok(pixels.colours >= 20, `distinct colours: ${pixels.colours}`);
  assert.equal(pixels.lowest, pixels.darkest, `the lowest loss's cell is the darkest: ${JSON.stringify({ extremes, pixels })}`);
  assert.equal(pixels.highest, pixels.brightest, `the highest loss's cell is the brightest: ${JSON.stringify({ extremes, pixels })}`);
  // The weights are back: training resumes from the paused step.
  await w.page.locator('#train-resume').click();
  await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) > n, pausedStep, { timeout: 120_000 });
  await waitForPanel(w, 'unavailable');
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

test('Cancel stops a 2-D landscape between evaluations; the run can take another and resume', async () => {
  const w = await pausedRun();
  assert.match(await estimate(w, 'surface'), /^441 evaluations = 441 × 32 held-out images/);
  await w.page.locator('#landscape-start').click();
  await w.page.waitForFunction(() => Number(document.getElementById('landscape')?.dataset.progress ?? 0) >= 3, undefined, { timeout: 120_000 });
  await w.page.locator('#landscape-cancel').click();
  await waitForPanel(w, 'cancelled');
  const progress = await w.page.evaluate(() => Number(document.getElementById('landscape')!.dataset.progress));
  assert.ok(progress >= 3 && progress < 441, `stopped after ${progress} evaluations`);
  assert.equal(await w.page.locator('#landscape-charts figure.landscape-figure').count(), 0);
  // A 1-D landscape after the cancelled one draws on the same paused weights.
  await estimate(w, 'line');
  await w.page.locator('#landscape-start').click();
  await waitForPanel(w, 'done');
  assert.equal(await w.page.locator('#landscape-charts svg.landscape-line').getAttribute('data-points'), '41');
  await w.page.locator('#train-resume').click();
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'running', undefined, { timeout: 120_000 });
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

/**
 * Compare's "Train both" on the PyTorch engine with an image folder, as the page handles it: the real compare.js under
 * the real CSP in headless Chromium gets the folder's files with the pair (startTrainBoth, engine pytorch), decodes
 * them once with the browser's decoders (at side A's input size, as the browser engine would) and posts the decoded
 * set back once for both runners (`trainBothData`, SKND bytes). The bytes are read here with the engines' own
 * parseDataset; then both sides train from their runners' lines. A folder the browser cannot decode ends both sides
 * with its located message and a stop for each runner.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { CompareToHost, HostToCompare } from '../../src/protocol/compare-messages';
import type { FolderImage } from '../../src/protocol';
import { parseDataset } from '../../src/train/dataset';
import { useBrowser, openWebview, type WebviewPage } from './harness';
import { greyPngs } from '../support/greyPngs';

const browser = useBrowser();

const model = (name: string, width: number): string => `model ${name}(8x8x1) {\n  conv(${width}, 3, pad=1) -> relu -> gap -> dense(2)\n  train { dataset: "shapes"; batch: 4; epochs: 1; seed: 2 }\n}\n`;
const TEXTS: [string, string] = [model('narrow', 4), model('wide', 8)];
const SPECS: [SideSpec, SideSpec] = [
  { uri: 'file:///work/narrow.skipnet', file: 'narrow.skipnet', model: 'narrow', withoutSkips: false },
  { uri: 'file:///work/wide.skipnet', file: 'wide.skipnet', model: 'wide', withoutSkips: false },
];
const IDS = [3, 5] as const;

const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);
const posted = async (w: WebviewPage): Promise<CompareToHost[]> => (await w.page.evaluate(() => window.__posted)) as CompareToHost[];
const event = (w: WebviewPage, side: 0 | 1, line: unknown): Promise<void> => send(w, { type: 'trainBothEvent', side, run: IDS[side], line: JSON.stringify(line) });

/** Opens the pair, clicks Train both and answers as the panel does on PyTorch with a folder: both runs hosted, the files sent. */
async function startWith(images: (w: WebviewPage) => Promise<FolderImage[]>): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  await send(w, buildCompareMessage(SPECS, TEXTS, 1, { collapseThreshold: 150, direction: 'down' }));
  await w.page.locator('#train-both').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'));
  const plan = planTrainBoth(SPECS, TEXTS);
  assert.ok(plan.ok);
  assert.equal(plan.training.dataset.kind, 'folder');
  const dataset = { kind: 'folder' as const, path: 'shapes', classes: ['dark', 'light'], images: await images(w) };
  const run = (i: 0 | 1) => ({ run: { model: SPECS[i].model, text: TEXTS[i], backend: 'auto' as const, statsInterval: 1, dataset, engine: 'pytorch' as const, runId: IDS[i] }, withoutSkips: false });
  await send(w, { type: 'startTrainBoth', revision: 1, runs: [run(0), run(1)], config: plan.shared, plan: 'PyTorch 1.13 · cpu · both at once, 1 thread each of 2 cores.' });
  return w;
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('an image folder on PyTorch: the page decodes it once and posts it for both runners, then both sides train from runner lines', async () => {
  const w = await startWith((page) => greyPngs(page.page));
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBothData'));
  const sent = (await posted(w)).filter((m): m is Extract<CompareToHost, { type: 'trainBothData' }> => m.type === 'trainBothData');
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].runs, [3, 5]);
  const data = parseDataset("folder 'shapes'", new Uint8Array(Buffer.from(sent[0].data, 'base64')));
  assert.deepEqual([data.height, data.width, data.channels, data.classes], [8, 8, 1, ['dark', 'light']]);
  // Every fifth image of a class (4.png, 9.png) is held out, as the browser engine holds them out.
  const kept = [0, 1, 2, 3, 5, 6, 7, 8];
  assert.deepEqual(Array.from(data.train.labels), [...kept.map(() => 0), ...kept.map(() => 1)]);
  assert.deepEqual(Array.from(data.test.labels), [0, 0, 1, 1]);
  // Each image is one grey: its first pixel is the value drawn.
  const firstPixels = (split: typeof data.train): number[] => Array.from({ length: split.count }, (_, i) => split.pixels[i * 64]);
  assert.deepEqual(firstPixels(data.train), [...kept.map((i) => 20 + i * 3), ...kept.map((i) => 220 - i * 3)]);

  const started = { type: 'started', backend: 'pytorch 1.13.0 · cpu · 1 thread', params: 58, totalSteps: 4, batch: 4, notes: [], replicas: 1 };
  const progress = (step: number, loss: number) => ({ type: 'progress', epoch: 1, epochs: 1, step, totalSteps: 4, loss, accuracy: 0.5, imagesPerSecond: 40, etaSeconds: 1 });
  for (const side of [0, 1] as const) await event(w, side, started);
  for (let step = 1; step <= 3; step++) {
    await event(w, 0, progress(step, 0.7));
    await event(w, 1, progress(step, 0.6));
  }
  await w.page.waitForFunction(() => ['0', '1'].every((s) => document.querySelector(`#chart-loss path.series.side-${s}`)?.getAttribute('data-points') === '3'));
  assert.equal(await w.page.locator('#training-status').textContent(), 'pytorch 1.13.0 · cpu · 1 thread · A: step 3/4 · loss 0.7000 · B: step 3/4 · loss 0.6000');
  for (const [side, loss] of [[0, 0.7], [1, 0.6]] as const) await event(w, side, { type: 'finished', result: { reason: 'done', steps: 4, loss } });
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'finished');
  // Decoded once: still one trainBothData, and no stop was sent.
  assert.equal((await posted(w)).filter((m) => m.type === 'trainBothData').length, 1);
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothControl'), []);
  await noProblems(w);
  await w.page.context().close();
});

test('a folder image the browser cannot decode ends both sides with its located message and stops both runners', async () => {
  const broken = async (w: WebviewPage): Promise<FolderImage[]> => {
    const images = await greyPngs(w.page);
    images[12] = { ...images[12], data: btoa('not a png') };
    return images;
  };
  const w = await startWith(broken);
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBothControl').length === 2);
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothControl'), [
    { type: 'trainBothControl', side: 0, run: 3, action: 'stop' },
    { type: 'trainBothControl', side: 1, run: 5, action: 'stop' },
  ]);
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothData'), []);
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'error');
  const why = "Data folder 'shapes': light/2.png is not an image this browser can decode.";
  assert.equal(await w.page.locator('#training-status').textContent(), `A: ${why} B: ${why}`);
  await noProblems(w);
  await w.page.context().close();
});

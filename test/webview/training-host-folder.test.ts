/**
 * A data folder trained on the PyTorch engine, as the graph webview handles it: the real main.js under the real CSP in
 * headless Chromium gets the folder's files from the "host" (startTraining, engine pytorch), decodes them with the
 * browser's decoders as the browser engine would, and posts the decoded set back (`trainingData`, SKND bytes) for
 * the runner. The bytes are read here with the engines' own parseDataset: classes in order, every fifth image of a
 * class held out, the PNGs' grey values. A folder the browser cannot decode ends the run with its located message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type FolderImage, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { parseDataset } from '../../src/train/dataset';
import { DOC_URI, useBrowser, openWebview, type WebviewPage } from './harness';
import { greyOf, greyPngs } from '../support/greyPngs';

const browser = useBrowser();

const MODEL = `model tiny(8x8x1) {
  conv(4, 3, pad=1) -> relu -> gap -> dense(2)
  train { dataset: "shapes"; batch: 4; epochs: 1; seed: 2 }
}
`;

async function open(): Promise<WebviewPage> {
  const w = await openWebview(browser());
  const analysis = analyze(MODEL);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

const run = (images: FolderImage[]): TrainingRun => ({ model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 1, dataset: { kind: 'folder', path: 'shapes', classes: ['dark', 'light'], images }, engine: 'pytorch', runId: 5 });

/** Waits for the page to have posted a message of `type` (the page's CSP forbids string predicates). */
async function waitForPosted(w: WebviewPage, type: WebviewToHost['type']): Promise<void> {
  await w.page.waitForFunction((t) => window.__posted.some((m) => (m as { type: string }).type === t), type, { timeout: 120_000 });
}

async function waitForState(w: WebviewPage, state: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('training')?.dataset.state === s, state, { timeout: 120_000 });
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('a folder run on PyTorch: the page decodes the folder and sends the host the decoded set, then shows the host\'s run', async () => {
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: run(await greyPngs(w.page)) });
  await waitForPosted(w, 'trainingData');
  const sent = (await w.posted()).filter((m): m is Extract<WebviewToHost, { type: 'trainingData' }> => m.type === 'trainingData');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].run, 5);
  const data = parseDataset("folder 'shapes'", new Uint8Array(Buffer.from(sent[0].data, 'base64')));
  assert.deepEqual([data.height, data.width, data.channels, data.classes], [8, 8, 1, ['dark', 'light']]);
  // Names 0.png … 9.png per class: every fifth (4.png, 9.png) of each is held out, as the browser engine holds them out.
  const kept = [0, 1, 2, 3, 5, 6, 7, 8];
  assert.deepEqual(Array.from(data.train.labels), [...kept.map(() => 0), ...kept.map(() => 1)]);
  assert.deepEqual(Array.from(data.test.labels), [0, 0, 1, 1]);
  const image = (values: number[]): number[] => values.flatMap((v) => Array.from({ length: 64 }, () => v));
  assert.deepEqual(Array.from(data.train.pixels), image([...kept.map((i) => greyOf(0, i)), ...kept.map((i) => greyOf(1, i))]));
  assert.deepEqual(Array.from(data.test.pixels), image([greyOf(0, 4), greyOf(0, 9), greyOf(1, 4), greyOf(1, 9)]));
  // The host's runner then speaks as for any PyTorch run.
  await w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 5, line: JSON.stringify({ type: 'started', backend: 'pytorch 1.13.0 · cpu', params: 62, totalSteps: 4, batch: 4, notes: [], replicas: 1 }) });
  await w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 5, line: JSON.stringify({ type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } }) });
  await waitForState(w, 'stopped');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.runEngine), 'pytorch');
  assert.deepEqual((await w.posted()).filter((m) => m.type === 'trainingControl'), [], 'nothing was stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('a folder file the browser cannot decode ends the PyTorch run with the folder\'s message, and the host is told to stop', async () => {
  const w = await open();
  const images = await greyPngs(w.page);
  images[12] = { ...images[12], data: btoa('not an image at all') };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: run(images) });
  await waitForState(w, 'failed');
  assert.equal(await w.page.locator('#train-message').textContent(), "Data folder 'shapes': light/2.png is not an image this browser can decode.");
  const posted = await w.posted();
  assert.deepEqual(posted.filter((m) => m.type === 'trainingData'), []);
  assert.deepEqual(posted.flatMap((m) => (m.type === 'trainingControl' ? [`${m.action} ${m.run}`] : [])), ['stop 5']);
  await noProblems(w);
  await w.page.context().close();
});

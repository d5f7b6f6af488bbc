// End to end: "Train here" on examples/mnist_resnet.skipnet in VS Code (code-server) in Chromium, on whatever
// backend 'auto' picks there (wasm on a machine without a GPU, where WebGL/WebGPU are SwiftShader; a real GPU
// where there is one). The test's own copy of the file uses a batch of 2 and statistics at every step, so
// even a slow backend shows progress quickly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examplesDir, extensionHostLog, skipnetLog, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;

describe('SkipNet in VS Code: Train here', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-train-e2e-'));
    const text = readFileSync(join(examplesDir, 'mnist_resnet.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 2');
    assert.match(text, /batch: 2\n/);
    writeFileSync(join(folder, 'mnist_resnet.skipnet'), text);
    session = await startVsCodeSession({ name: 'train', folder, settings: { 'skipnet.training.statsInterval': 1 } });
  });

  after(async () => {
    await session?.close();
  });

  // One scenario: the second step starts from the file and stopped graph the first leaves, so they are steps of one test, not tests that depend on each other.
  it('Train here, step by step: train and stop, then close the panel mid-training and train again', async (t) => {
    await t.test('the Train here CodeLens opens the graph and trains: step and loss change, a node takes a statistic colour, Stop stops', async () => {
      const { workbench, page } = session;
      await workbench.openFile('mnist_resnet.skipnet');
      const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
      await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
      await lens.click();

      const frame = workbench.webviewFrame();
      await frame.locator('#graph .node').first().waitFor({ timeout: TIMEOUT });
      const training = frame.locator('#training');
      const backend = frame.locator('#train-backend-used');
      await backend.waitFor({ state: 'visible', timeout: TIMEOUT });
      const stepText = frame.locator('#train-step');
      await stepText.filter({ hasText: /^step \d+\/4002$/ }).waitFor({ timeout: TIMEOUT });
      const firstStep = await stepText.textContent();
      const firstLoss = await frame.locator('#train-loss').textContent();
      assert.match(firstLoss ?? '', /^loss \d+(\.\d+)?$/);
      await stepText.filter({ hasNotText: firstStep ?? '' }).waitFor({ timeout: TIMEOUT });
      await frame.locator('#train-loss').filter({ hasNotText: firstLoss ?? '' }).waitFor({ timeout: TIMEOUT });

      // Statistics at every step: the first convolution of the second block takes a colour.
      const shape = frame.locator('[data-id="basic2/conv1"] .shape');
      await shape.evaluate((element) => new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 120_000;
        const check = () => ((element as SVGElement).style.fill.includes('color-mix') ? resolve() : Date.now() > deadline ? reject(new Error('no statistic colour')) : setTimeout(check, 100));
        check();
      }));

      // The status bar shows the run.
      const item = page.locator('.statusbar-item', { hasText: /mnist_resnet · epoch 1\/1 · loss/ });
      await item.filter({ hasText: /mnist_resnet · epoch 1\/1 · loss [\d.]+ · \w+/ }).waitFor({ timeout: TIMEOUT });
      const used = ((await backend.textContent()) ?? '').replace('backend: ', '').replace(/ · \d+ workers$/, '');
      assert.match(used, /^(webgpu|webgl|wasm|cpu)$/);
      assert.match(((await item.textContent()) ?? '').trim(), new RegExp(`· ${used}$`));

      await workbench.runCommand('SkipNet: Stop Training');
      await training.and(frame.locator('[data-state="stopped"]')).waitFor({ timeout: TIMEOUT });
      const stoppedAt = await stepText.textContent();
      await item.waitFor({ state: 'hidden', timeout: TIMEOUT });
      assert.equal(await stepText.textContent(), stoppedAt, 'no progress after stop');
      await workbench.screenshot('stopped');
      assert.deepEqual(session.pageErrors, []);
    });

    await t.test('closing the graph panel mid-training ends the run without an error in the logs; Train here again starts a new run that progresses', async () => {
      const { workbench, page, profile } = session;
      const errorLines = (): string[] => `${extensionHostLog(profile)}\n${skipnetLog(profile)}`.split('\n').filter((line) => /\[error\]/i.test(line));
      assert.deepEqual(errorLines(), [], 'no errors before');
      // The file is still open beside the stopped graph of the first test.
      const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
      await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
      await lens.click();
      const frame = workbench.webviewFrame();
      const stepText = frame.locator('#train-step');
      // A new run (the panel of the first test is still open, stopped): running again, and the step moves.
      await frame.locator('#training[data-state="running"]').waitFor({ timeout: TIMEOUT });
      await stepText.filter({ hasText: /^step \d+\/4002$/ }).waitFor({ timeout: TIMEOUT });
      const running = await stepText.textContent();
      await stepText.filter({ hasNotText: running ?? '' }).waitFor({ timeout: TIMEOUT });
      const item = page.locator('.statusbar-item', { hasText: /mnist_resnet · epoch 1\/1 · loss/ });
      await item.waitFor({ timeout: TIMEOUT });

      // Close the graph's tab while the run is going.
      const tab = page.locator('.tabs-container .tab', { hasText: 'Graph: mnist_resnet.skipnet' });
      await tab.hover();
      await tab.locator('.tab-actions .action-label').first().click();
      await tab.waitFor({ state: 'detached', timeout: TIMEOUT });
      // The host saw the run end with its panel (the status bar clears, the channel says why), and nothing failed.
      await item.waitFor({ state: 'hidden', timeout: TIMEOUT });
      const deadline = Date.now() + TIMEOUT;
      while (!/training mnist_resnet: stopped: The graph view closed\./.test(skipnetLog(profile))) {
        if (Date.now() > deadline) throw new Error(`the SkipNet Graph log never recorded the close:\n${skipnetLog(profile)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(errorLines(), [], 'no errors after closing the panel mid-training');

      // Train here again: a fresh panel, a fresh run that makes progress.
      await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
      await lens.click();
      const again = workbench.webviewFrame().locator('#train-step');
      await again.filter({ hasText: /^step \d+\/4002$/ }).waitFor({ timeout: TIMEOUT });
      const first = await again.textContent();
      await again.filter({ hasNotText: first ?? '' }).waitFor({ timeout: TIMEOUT });
      await item.waitFor({ timeout: TIMEOUT });
      await workbench.runCommand('SkipNet: Stop Training');
      await workbench.webviewFrame().locator('#training[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
      assert.deepEqual(errorLines(), [], 'no errors after the second run');
      assert.deepEqual(session.pageErrors, []);
    });
  });
});

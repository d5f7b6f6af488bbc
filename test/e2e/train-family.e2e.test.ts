// End to end: "Train here" on examples/unet_mnist.skipnet (dataset: mnist_segmentation) and on
// examples/vit_tiny.skipnet (MNIST) in VS Code (code-server) in Chromium, on whatever backend 'auto' picks there, as
// train.e2e.test.ts does for mnist_resnet. The test's own copies use small batches (2 and 8) and statistics at
// every step, so each model shows progress quickly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examplesDir, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;

/**
 * Clicks the open file's Train here lens and follows the run in the graph view: `waitNode` is drawn, the step field
 * reads "step N/`totalSteps`" and the accuracy field matches `accuracy`, step and loss change, `colouredNode` takes a
 * statistic colour, and Stop stops; a screenshot `shot` is saved.
 */
async function trainHereAndStop(session: VsCodeSession, run: { waitNode: string; totalSteps: number; accuracy: RegExp; colouredNode: string; shot: string }): Promise<void> {
  const { workbench, page } = session;
  const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
  await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
  await lens.click();

  const frame = workbench.webviewFrame();
  await frame.locator(run.waitNode).first().waitFor({ timeout: TIMEOUT });
  const stepText = frame.locator('#train-step');
  await workbench.waitForText(stepText, new RegExp(`^step \\d+/${run.totalSteps}$`), TIMEOUT);
  const firstStep = await stepText.textContent();
  const firstLoss = await frame.locator('#train-loss').textContent();
  assert.match(firstLoss ?? '', /^loss \d+(\.\d+)?$/);
  assert.match((await frame.locator('#train-accuracy').textContent()) ?? '', run.accuracy);
  await stepText.filter({ hasNotText: firstStep ?? '' }).waitFor({ timeout: TIMEOUT });
  await frame.locator('#train-loss').filter({ hasNotText: firstLoss ?? '' }).waitFor({ timeout: TIMEOUT });

  const shape = frame.locator(`[data-id="${run.colouredNode}"] .shape`);
  await shape.evaluate((element, timeout) => new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + timeout;
    const check = () => ((element as SVGElement).style.fill.includes('color-mix') ? resolve() : Date.now() > deadline ? reject(new Error('no statistic colour')) : setTimeout(check, 100));
    check();
  }), TIMEOUT);

  await workbench.runCommand('SkipNet: Stop Training');
  await frame.locator('#training[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
  await workbench.screenshot(run.shot);
  assert.deepEqual(session.pageErrors, []);
}

describe('SkipNet in VS Code: Train here on the skip-connection family', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-train-family-e2e-'));
    const text = readFileSync(join(examplesDir, 'unet_mnist.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 2');
    assert.match(text, /batch: 2\n/);
    writeFileSync(join(folder, 'unet_mnist.skipnet'), text);
    const vit = readFileSync(join(examplesDir, 'vit_tiny.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 8');
    assert.match(vit, /batch: 8\n/);
    writeFileSync(join(folder, 'vit_tiny.skipnet'), vit);
    session = await startVsCodeSession({ name: 'train-family', folder, settings: { 'skipnet.training.statsInterval': 1 } });
  });

  after(async () => {
    await session?.close();
  });

  it('unet_mnist: Train here trains per pixel — the step and loss change, pixel accuracy is shown, a node takes a statistic colour, Stop stops', async () => {
    await session.workbench.openFile('unet_mnist.skipnet');
    // The bundled MNIST's 8,004 training images at a batch of 2; statistics at every step colour the per-pixel
    // classifier at the top of the decoder.
    await trainHereAndStop(session, { waitNode: '#graph .node', totalSteps: 4002, accuracy: /^pixel acc \d+(\.\d)?%$/, colouredNode: 'classes', shot: 'unet-mnist-stopped' });
  });

  it('vit_tiny: Train here trains the Transformer — the step and loss change, the attention node takes a statistic colour, Stop stops', async () => {
    const { workbench, page } = session;
    // One graph view at a time: the U-Net's panel closes with its editor.
    await workbench.runCommand('View: Close All Editors');
    await page.locator('iframe.webview').waitFor({ state: 'detached', timeout: TIMEOUT });
    await workbench.openFile('vit_tiny.skipnet');
    // 8,004 images at a batch of 8.
    await trainHereAndStop(session, { waitNode: '[data-id="encoder_layer_1/self_attention"]', totalSteps: 1000, accuracy: /^acc \d+(\.\d)?%$/, colouredNode: 'encoder_layer_1/self_attention', shot: 'vit-tiny-stopped' });
  });
});

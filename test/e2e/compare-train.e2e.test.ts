// End to end: the Compare view's "Train both" in VS Code (code-server) in Chromium. mnist_resnet against its
// own no-skip ablation, opened from the Compare CodeLens; the test's copy of the file uses a batch of 2 and
// statistics at every step so both curves and the gradient-by-depth plot appear within seconds on any backend.
// The page loads train.js, the wasm binaries and the MNIST file through the panel's CSP and resource roots.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examplesDir, extensionHostLog, skipnetLog, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;

describe('SkipNet in VS Code: Compare, Train both', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-compare-train-e2e-'));
    const text = readFileSync(join(examplesDir, 'mnist_resnet.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 2');
    assert.match(text, /batch: 2\n/);
    writeFileSync(join(folder, 'mnist_resnet.skipnet'), text);
    session = await startVsCodeSession({ name: 'compare-train', folder, settings: { 'skipnet.training.statsInterval': 1 } });
  });

  after(async () => {
    await session?.close();
  });

  it('Train both draws loss curves and gradient norm by depth for both sides; Stop ends both; nothing is logged as an error', async () => {
    const { workbench, page, profile } = session;
    const errorLines = (): string[] => `${extensionHostLog(profile)}\n${skipnetLog(profile)}`.split('\n').filter((line) => /\[error\]/i.test(line));
    await workbench.openFile('mnist_resnet.skipnet');
    await workbench.clickCodeLens('Compare');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'without skip connections' }).first();
    await row.waitFor({ timeout: TIMEOUT });
    await row.click();

    const frame = workbench.webviewFrame();
    await frame.locator('.side[data-side="1"] .side-title', { hasText: 'mnist_resnet without skips' }).waitFor({ timeout: TIMEOUT });
    await frame.locator('#train-both').click();
    const status = frame.locator('#training-status');
    await status.filter({ hasText: /^backend (webgpu|webgl|wasm|cpu) · A: step \d+\/\d+/ }).waitFor({ timeout: TIMEOUT });
    // Side A's train section for both: batch 2 over the bundled MNIST subset is 4,002 steps for each (as Train here shows).
    // B starts after A's first step (on A's backend), in its own worker: its first loss comes a little later.
    await workbench.waitForText(status, /A: step \d+\/4002 · loss [\d.]+ · B: step \d+\/4002 · loss [\d.]+$/);
    for (const side of [0, 1]) {
      await frame.locator(`#chart-loss path.series.side-${side}[data-points]`).waitFor({ timeout: TIMEOUT });
      await frame.locator(`#chart-depth path.series.side-${side}[data-points]`).waitFor({ timeout: TIMEOUT });
    }
    const depthPoints = Number(await frame.locator('#chart-depth path.series.side-0').getAttribute('data-points'));
    assert.ok(depthPoints >= 10, `${depthPoints} layers on the depth plot`);
    await workbench.screenshot('training');

    await frame.locator('#train-both-stop').click();
    await frame.locator('#training-status[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
    assert.match((await status.textContent()) ?? '', /^Stopped: A after \d+ steps, B after \d+\.$/);
    const deadline = Date.now() + TIMEOUT;
    while (!/compare: train both stopped: Stopped: A after/.test(skipnetLog(profile))) {
      if (Date.now() > deadline) throw new Error(`the SkipNet Compare log never recorded the end:\n${skipnetLog(profile)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(errorLines(), []);
    assert.deepEqual(session.pageErrors, []);
  });
});

// End to end: the Compare view's "Train both" on the canonical pair, ResNet-20 against DenseNet-40, as the
// examples are written (batch 32). A TensorFlow.js step of DenseNet-40 at batch 32 needs far more than a
// webview's memory budget, so the page plans both at batch 4 and says so; both sides then train (steps and
// finite losses on both) until Stop. Waits are for states of the page, sized to a loaded 2-core machine.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examplesDir, extensionHostLog, skipnetLog, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;
/** A DenseNet-40 step on wasm under load, after both workers load TensorFlow.js and MNIST. */
const FIRST_STEPS = 600_000;

describe('SkipNet in VS Code: Compare, Train both ResNet-20 and DenseNet-40', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-compare-pair-e2e-'));
    for (const name of ['resnet20', 'densenet40']) copyFileSync(join(examplesDir, `${name}.skipnet`), join(folder, `${name}.skipnet`));
    session = await startVsCodeSession({ name: 'compare-pair', folder, settings: { 'skipnet.training.statsInterval': 1000 } });
  });

  after(async () => {
    await session?.close();
  });

  it('plans both at a batch that fits, says so, trains both sides (steps > 0, finite losses), and Stop ends both without an error', async () => {
    const { workbench, page, profile } = session;
    const errorLines = (): string[] => `${extensionHostLog(profile)}\n${skipnetLog(profile)}`.split('\n').filter((line) => /\[error\]/i.test(line));
    await workbench.openFile('resnet20.skipnet');
    await workbench.clickCodeLens('Compare');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'densenet40' }).first();
    await row.waitFor({ timeout: TIMEOUT });
    await row.click();

    const frame = workbench.webviewFrame();
    await frame.locator('.side[data-side="1"] .side-title', { hasText: 'densenet40' }).waitFor({ timeout: TIMEOUT });
    await frame.locator('#train-both').click();
    const plan = frame.locator('#training-plan[data-mode="smaller-batch"][data-batch="4"]');
    await plan.waitFor({ timeout: TIMEOUT });
    assert.match((await plan.textContent()) ?? '', /^At batch 32 a TensorFlow\.js step needs about 467 MiB \(A, resnet20\) \+ 5\.68 GiB \(B, densenet40\) = 6\.14 GiB, more than the 1\.00 GiB budget: both train at once at batch 4 instead/);
    // Batch 4 over the bundled MNIST subset (8,002 images): 2,001 steps for each. Both sides past step 0 with a finite loss
    // ([\d.]+ matches neither NaN nor Infinity).
    const status = frame.locator('#training-status');
    await status.filter({ hasText: /A: step [1-9]\d*\/2001 · loss [\d.]+ · B: step [1-9]\d*\/2001 · loss [\d.]+$/ }).waitFor({ timeout: FIRST_STEPS });
    const line = (await status.textContent()) ?? '';
    const losses = [...line.matchAll(/loss ([\d.]+)/g)].map((m) => Number(m[1]));
    assert.equal(losses.length, 2, line);
    for (const loss of losses) assert.ok(Number.isFinite(loss) && loss > 0, line);
    assert.equal(await frame.locator('#training-status').getAttribute('data-state'), 'running');
    await workbench.screenshot('compare-pair-training');

    await frame.locator('#train-both-stop').click();
    await frame.locator('#training-status[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
    assert.match((await status.textContent()) ?? '', /^Stopped: A after [1-9]\d* steps, B after [1-9]\d*\.$/);
    assert.deepEqual(errorLines(), []);
    assert.deepEqual(session.pageErrors, []);
  });
});

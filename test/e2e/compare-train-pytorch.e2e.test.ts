// End to end: the Compare view's "Train both" on the PyTorch engine, mnist_resnet against mnist_densenet, in VS Code
// (code-server) in Chromium. The settings choose the engine and name Debian's python3 with python3-torch (PATH's
// python3 may lack torch); each side trains in its own runner process, a child of the extension host. Checked: the
// plan line says how the two share the cores, both sides' curves get points, the status names the engine, Stop
// ends both runs, and neither closing the panel nor editing a file mid-training leaves a process of either runner's
// process group alive.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { groupMembers } from '../support/processes';
import { groupGone, logged } from './processes';
import { examplesDir, extensionHostLog, skipnetLog, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;
const PYTHON = '/usr/bin/python3';

describe('SkipNet in VS Code: Compare, Train both on PyTorch', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-compare-pytorch-e2e-'));
    // Side A's train section is both sides': batch 8 keeps a DenseNet step short on a loaded 2-core machine.
    const text = readFileSync(join(examplesDir, 'mnist_resnet.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 8');
    assert.match(text, /batch: 8\n/);
    writeFileSync(join(folder, 'mnist_resnet.skipnet'), text);
    copyFileSync(join(examplesDir, 'mnist_densenet.skipnet'), join(folder, 'mnist_densenet.skipnet'));
    session = await startVsCodeSession({
      name: 'compare-train-pytorch',
      folder,
      settings: { 'skipnet.train.engine': 'pytorch', 'skipnet.python': PYTHON, 'skipnet.training.statsInterval': 5 },
    });
  });

  after(async () => {
    await session?.close();
  });

  /** Opens Compare on mnist_resnet (the active editor) against mnist_densenet and clicks Train both; the two runners' pids. */
  async function trainBoth(start: number): Promise<number[]> {
    const { workbench, page } = session;
    await workbench.clickCodeLens('Compare');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'mnist_densenet' }).first();
    await row.waitFor({ timeout: TIMEOUT });
    await row.click();
    const frame = workbench.webviewFrame();
    await frame.locator('.side[data-side="1"] .side-title', { hasText: 'mnist_densenet' }).waitFor({ timeout: TIMEOUT });
    await frame.locator('#train-both').click();
    const pids = [
      await logged(session, /compare side A: PyTorch run of mnist_resnet started \(pid (\d+), /g, start),
      await logged(session, /compare side B: PyTorch run of mnist_densenet started \(pid (\d+), /g, start),
    ];
    assert.notEqual(pids[0], pids[1]);
    for (const pid of pids) assert.ok(groupMembers(pid).includes(pid), `runner ${pid} leads its process group`);
    return pids;
  }

  // One scenario: the second step trains again in the file the first leaves open.
  it('Train both on PyTorch, step by step: train, stop and close the panel; edit a file mid-training', async (t) => {
    const { workbench, page, profile } = session;
    const errorLines = (): string[] => `${extensionHostLog(profile)}\n${skipnetLog(profile)}`.split('\n').filter((line) => /\[error\]/i.test(line));
    const frame = workbench.webviewFrame();
    const status = frame.locator('#training-status');
    // Both sides past step 0 with finite losses ([\d.]+ matches neither NaN nor Infinity), on PyTorch's CPU threads.
    const bothTraining = /^pytorch 1\.13\S* · cpu · \d+ threads? · A: step [1-9]\d*\/\d+ · loss [\d.]+ · B: step [1-9]\d*\/\d+ · loss [\d.]+$/;

    await t.test('two runner processes train both sides (curves for A and B); Stop ends both runs; closing the panel ends both process groups', async () => {
      await workbench.openFile('mnist_resnet.skipnet');
      const pids = await trainBoth(0);
      const plan = frame.locator('#training-plan[data-mode="together"]');
      await plan.waitFor({ timeout: TIMEOUT });
      assert.match((await plan.textContent()) ?? '', /^PyTorch 1\.13 · cpu · both at once, \d+ threads? each of \d+ cores?: about [\d.]+ [KMG]iB \(A, mnist_resnet\) \+ [\d.]+ [KMG]iB \(B, mnist_densenet\) = [\d.]+ [KMG]iB of the [\d.]+ [KMG]iB free\.$/);
      await status.filter({ hasText: bothTraining }).waitFor({ timeout: TIMEOUT });
      for (const side of [0, 1]) await frame.locator(`#chart-loss path.series.side-${side}[data-points]`).waitFor({ timeout: TIMEOUT });
      const points = await Promise.all([0, 1].map(async (side) => Number(await frame.locator(`#chart-loss path.series.side-${side}`).getAttribute('data-points'))));
      assert.ok(points.every((n) => n >= 1), `loss points: ${points.join(', ')}`);
      assert.equal(await status.getAttribute('data-state'), 'running');
      await workbench.screenshot('training');

      await frame.locator('#train-both-stop').click();
      await frame.locator('#training-status[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
      assert.match((await status.textContent()) ?? '', /^Stopped: A after [1-9]\d* steps?, B after [1-9]\d*\.$/);
      // Stopped runs keep their final weights for the lesion study and the loss landscape, until the panel's end.
      for (const pid of pids) assert.ok(groupMembers(pid).includes(pid), `runner ${pid} keeps the final weights`);

      const tab = page.locator('.tabs-container .tab', { hasText: 'Compare: mnist_resnet ↔ mnist_densenet' });
      await tab.hover();
      await tab.locator('.tab-actions .action-label').first().click();
      await tab.waitFor({ state: 'detached', timeout: TIMEOUT });
      for (const pid of pids) await groupGone(pid);
      assert.deepEqual(errorLines(), []);
      assert.deepEqual(session.pageErrors, []);
    });

    await t.test('editing a file mid-training ends both process groups and the pair', async () => {
      await workbench.openFile('mnist_resnet.skipnet');
      const pids = await trainBoth(1);
      await status.filter({ hasText: bothTraining }).waitFor({ timeout: TIMEOUT });
      // Changed on disk while open and unmodified: VS Code reloads the text, which is an edit of the document.
      const file = join(session.workspace, 'mnist_resnet.skipnet');
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n# edited while training\n`);
      for (const pid of pids) await groupGone(pid);
      await frame.locator('#training-status[data-state="stopped"]').waitFor({ timeout: TIMEOUT });
      assert.match((await status.textContent()) ?? '', /^Stopped: A after [1-9]\d* steps?, B after [1-9]\d*\. mnist_resnet\.skipnet changed, so both PyTorch runs ended: Train both again to train the edited text\.$/);
      assert.deepEqual(errorLines(), []);
      assert.deepEqual(session.pageErrors, []);
    });
  });
});

// End to end: "Train here" with the PyTorch engine on examples/mnist_resnet.skipnet in VS Code (code-server) in
// Chromium. The settings choose the engine and name Debian's python3 with python3-torch (PATH's python3 may lack
// torch); the runner is a child process of the extension host. Checked: the bar names the engine and why,
// statistics colour the nodes, Stop stops, and neither Stop, closing the panel nor editing the file leaves the
// Python process alive.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alive } from '../support/processes';
import { examplesDir, skipnetLog, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;
const PYTHON = '/usr/bin/python3';

/** Waits (re-reading every 100 ms) for the `index`-th PyTorch start the SkipNet Graph log records; its runner's pid. */
async function runnerPid(session: VsCodeSession, index: number): Promise<number> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const pids = [...skipnetLog(session.profile).matchAll(/PyTorch run of mnist_resnet started \(pid (\d+), /g)].map((m) => Number(m[1]));
    if (pids.length > index) return pids[index];
    if (Date.now() > deadline) throw new Error(`the SkipNet Graph log never recorded PyTorch start ${index + 1}:\n${skipnetLog(session.profile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits (re-checking every 100 ms) until the process is gone. */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`the PyTorch runner ${pid} is still alive`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SkipNet in VS Code: Train here with PyTorch', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-train-pytorch-e2e-'));
    const text = readFileSync(join(examplesDir, 'mnist_resnet.skipnet'), 'utf8').replace(/batch: \d+/, 'batch: 2');
    assert.match(text, /batch: 2\n/);
    writeFileSync(join(folder, 'mnist_resnet.skipnet'), text);
    session = await startVsCodeSession({
      name: 'train-pytorch',
      folder,
      settings: { 'skipnet.train.engine': 'pytorch', 'skipnet.python': PYTHON, 'skipnet.training.statsInterval': 1 },
    });
  });

  after(async () => {
    await session?.close();
  });

  // One scenario: the second step trains again in the file and panel the first leaves.
  it('Train here with PyTorch, step by step: train and stop, close the panel mid-training, edit the file mid-training', async (t) => {
    await t.test('the bar names PyTorch and why; steps progress; a node takes a statistic colour; Stop stops and the runner exits', async () => {
      const { workbench, page } = session;
      await workbench.openFile('mnist_resnet.skipnet');
      const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
      await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
      await lens.click();

      const frame = workbench.webviewFrame();
      await frame.locator('#graph .node').first().waitFor({ timeout: TIMEOUT });
      await frame.locator('#training[data-run-engine="pytorch"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      const info = frame.locator('#train-engine-info');
      await info.filter({ hasText: /^engine: PyTorch 1\.13 at \/usr\/bin\/python3, cpu$/ }).waitFor({ timeout: TIMEOUT });
      const pid = await runnerPid(session, 0);
      assert.ok(alive(pid), `runner ${pid} is running`);

      const stepText = frame.locator('#train-step');
      await stepText.filter({ hasText: /^step \d+\/\d+$/ }).waitFor({ timeout: TIMEOUT });
      const firstStep = await stepText.textContent();
      await stepText.filter({ hasNotText: firstStep ?? '' }).waitFor({ timeout: TIMEOUT });
      assert.match((await frame.locator('#train-backend-used').textContent()) ?? '', /^engine: pytorch 1\.13\S* · cpu · \d+ threads?$/);

      // Statistics at every step, computed by PyTorch: the first convolution of the second block takes a colour.
      const shape = frame.locator('[data-id="basic2/conv1"] .shape');
      await shape.evaluate((element) => new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 120_000;
        const check = () => ((element as SVGElement).style.fill.includes('color-mix') ? resolve() : Date.now() > deadline ? reject(new Error('no statistic colour')) : setTimeout(check, 100));
        check();
      }));

      // The status bar shows the run, named after its engine.
      const item = page.locator('.statusbar-item', { hasText: /mnist_resnet · epoch 1\/1 · loss/ });
      await item.filter({ hasText: /· pytorch/ }).waitFor({ timeout: TIMEOUT });

      await workbench.runCommand('SkipNet: Stop Training');
      await frame.locator('#training[data-state="stopped"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      const stoppedAt = await stepText.textContent();
      await item.waitFor({ state: 'hidden', timeout: TIMEOUT });
      // The stopped run's runner stays with its final weights for the lesion study and the loss landscape; the next
      // run, an edit or the panel's end ends it (the next test starts a run and checks that this one is gone).
      assert.ok(alive(pid), `runner ${pid} keeps the final weights`);
      assert.equal(await stepText.textContent(), stoppedAt, 'no progress after stop');
      await workbench.screenshot('pytorch-stopped');
      assert.deepEqual(session.pageErrors, []);
    });

    await t.test('closing the graph panel mid-training ends the PyTorch process', async () => {
      const { workbench, page } = session;
      const frame = workbench.webviewFrame();
      await frame.locator('#train-start').click();
      const pid = await runnerPid(session, 1);
      await gone(await runnerPid(session, 0));
      const stepText = frame.locator('#train-step');
      await frame.locator('#training[data-state="running"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      await stepText.filter({ hasText: /^step \d+\/\d+$/ }).waitFor({ timeout: TIMEOUT });
      assert.ok(alive(pid), `runner ${pid} is running`);

      const tab = page.locator('.tabs-container .tab', { hasText: 'Graph: mnist_resnet.skipnet' });
      await tab.hover();
      await tab.locator('.tab-actions .action-label').first().click();
      await tab.waitFor({ state: 'detached', timeout: TIMEOUT });
      await gone(pid);
      assert.deepEqual(session.pageErrors, []);
    });

    await t.test('editing the file mid-training ends the PyTorch process; the bar says why', async () => {
      const { workbench, page } = session;
      const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
      await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
      await lens.click();
      const pid = await runnerPid(session, 2);
      const frame = workbench.webviewFrame();
      await frame.locator('#training[data-state="running"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      await frame.locator('#train-step').filter({ hasText: /^step \d+\/\d+$/ }).waitFor({ timeout: TIMEOUT });
      assert.ok(alive(pid), `runner ${pid} is running`);
      // Changed on disk while open and unmodified: VS Code reloads the text, which is an edit of the document.
      const file = join(session.workspace, 'mnist_resnet.skipnet');
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n# edited while training\n`);
      await gone(pid);
      await frame.locator('#training[data-state="stopped"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      // Which sentence depends on whether the run's end or the new graph reached the view first; when the end came
      // first the bar says "Stopped after N steps." until the new graph arrives, so wait for the reason.
      const why = /^The file changed(, so this run stopped| since this run)\. Restart trains the edited model\.$/;
      await frame.locator('#train-message').filter({ hasText: why }).waitFor({ timeout: TIMEOUT });
      assert.match((await frame.locator('#train-message').textContent()) ?? '', why);
      assert.deepEqual(session.pageErrors, []);
    });
  });
});

// End to end: "Train here" with the PyTorch engine on an image folder of the workspace, in 2 processes, in VS Code
// (code-server) in Chromium. The whole host-side data path runs: the extension reads the folder's files, the page
// decodes them with the browser's decoders (the browser engine's own code) and posts the decoded set back, the host
// hands it to the runner as its data file, and `skipnet.train.processes` = 2 makes the runner share every batch
// between two processes. Checked: the bar names PyTorch, the run's notes say 2 processes and the folder's classes,
// the run trains its 8 steps to the end with a held-out accuracy, and closing the panel leaves no process of the
// runner's process group.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GreyPng, greyPngs } from '../support/greyPngs';
import { groupMembers } from '../support/processes';
import { groupGone, logged } from './processes';
import { startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;
const PYTHON = '/usr/bin/python3';

// 2 classes × 10 images; every fifth of a class is held out, so 16 train images: 4 steps of 4 per epoch, 2 epochs.
const MODEL = `model shapes_net(8x8x1) {
  conv(4, 3, pad=1) -> relu -> gap -> dense(2)
  train { dataset: "shapes"; batch: 4; epochs: 2; seed: 2 }
}
`;

/** Twenty 8×8 grey PNGs (ten dark, ten light), encoded by Chromium's own PNG encoder in a page of its own. */
async function shapePngs(session: VsCodeSession): Promise<GreyPng[]> {
  const page = await session.browser.newPage();
  try {
    return await greyPngs(page);
  } finally {
    await page.close();
  }
}

describe('SkipNet in VS Code: Train here with PyTorch on an image folder, in 2 processes', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-train-pytorch-folder-e2e-'));
    writeFileSync(join(folder, 'shapes_net.skipnet'), MODEL);
    session = await startVsCodeSession({
      name: 'train-pytorch-folder',
      folder,
      settings: { 'skipnet.train.engine': 'pytorch', 'skipnet.python': PYTHON, 'skipnet.train.processes': 2, 'skipnet.training.statsInterval': 1 },
    });
    for (const { name, data } of await shapePngs(session)) {
      mkdirSync(join(session.workspace, 'shapes', name.split('/')[0]), { recursive: true });
      writeFileSync(join(session.workspace, 'shapes', name), Buffer.from(data, 'base64'));
    }
  });

  after(async () => {
    await session?.close();
  });

  it('the folder is decoded in the page, trained by 2 PyTorch processes to the end, and closing the panel ends them', async () => {
    const { workbench, page } = session;
    await workbench.openFile('shapes_net.skipnet');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Train here' }).first();
    await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
    await lens.click();

    const frame = workbench.webviewFrame();
    await frame.locator('#training[data-run-engine="pytorch"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const pid = await logged(session, /PyTorch run of shapes_net started \(pid (\d+), /g, 0);

    // The run's notes: the processes sharing each batch, then the data the runner got from the page.
    const notes = frame.locator('#train-notes');
    await notes.filter({ hasText: /2 processes \(gloo\)/ }).waitFor({ timeout: TIMEOUT });
    const text = (await notes.textContent()) ?? '';
    assert.match(text, /^\d+ parameters, 8 steps of batch 4 · /, text);
    assert.match(text, /2 processes \(gloo\), started by (torchrun|torch\.multiprocessing\.spawn)/, text);

    await frame.locator('#training[data-state="done"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    assert.equal(await frame.locator('#train-step').textContent(), 'step 8/8');
    const message = (await frame.locator('#train-message').textContent()) ?? '';
    assert.match(message, /^Finished 8 steps: held-out accuracy \d+\.\d\d%\.$/, message);
    // The runner keeps its final weights for the experiments: its group lives until the panel closes.
    assert.ok(groupMembers(pid).includes(pid), `runner ${pid} keeps the final weights`);

    const tab = page.locator('.tabs-container .tab', { hasText: 'Graph: shapes_net.skipnet' });
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: TIMEOUT });
    await groupGone(pid);
    assert.deepEqual(session.pageErrors, []);
  });
});

// End to end: Compare's "Train both" on the PyTorch engine for a model against its own no-skip ablation, trained on
// an image folder of the workspace, in VS Code (code-server) in Chromium. The host-side pair path runs whole: the
// extension reads the folder's files, the Compare page decodes them once and posts them back (`trainBothData`), the
// host writes one data file that both runners read, and side B's runner trains the ablation's export. Checked: both
// runners start, both sides train all their steps on the same batches to a held-out accuracy, and closing the
// panel leaves no process of either runner's process group.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { greyPngs } from '../support/greyPngs';
import { groupMembers } from '../support/processes';
import { groupGone, logged } from './processes';
import { startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000;
const PYTHON = '/usr/bin/python3';

// A residual block with a projection shortcut: the ablation drops the shortcut and its 1×1 convolution. 2 classes ×
// 10 images, every fifth of a class held out: 16 train images, 4 steps of 4 per epoch, 2 epochs.
const MODEL = `block basic(planes) {
  residual: conv(planes, 3, pad=1) -> relu -> conv(planes, 3, pad=1)
  shortcut: in -> conv(planes, 1)
  add(residual, shortcut) -> relu
}

model shapes_res(8x8x1) {
  conv(4, 3, pad=1) -> relu
  basic(6)
  gap -> dense(2)
  train { dataset: "shapes"; batch: 4; epochs: 2; seed: 2 }
}
`;

describe('SkipNet in VS Code: Compare, Train both on PyTorch, a model against its ablation on an image folder', () => {
  let session: VsCodeSession;

  before(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'skipnet-compare-pytorch-folder-e2e-'));
    writeFileSync(join(folder, 'shapes_res.skipnet'), MODEL);
    session = await startVsCodeSession({
      name: 'compare-train-pytorch-folder',
      folder,
      settings: { 'skipnet.train.engine': 'pytorch', 'skipnet.python': PYTHON, 'skipnet.training.statsInterval': 1 },
    });
    const page = await session.browser.newPage();
    try {
      for (const { name, data } of await greyPngs(page)) {
        mkdirSync(join(session.workspace, 'shapes', name.split('/')[0]), { recursive: true });
        writeFileSync(join(session.workspace, 'shapes', name), Buffer.from(data, 'base64'));
      }
    } finally {
      await page.close();
    }
  });

  after(async () => {
    await session?.close();
  });

  it('both runners read the decoded folder and train to the end, B without skips; closing the panel ends both groups', async () => {
    const { workbench, page } = session;
    await workbench.openFile('shapes_res.skipnet');
    await workbench.clickCodeLens('Compare');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'without skip connections' }).first();
    await row.waitFor({ timeout: TIMEOUT });
    await row.click();
    const frame = workbench.webviewFrame();
    await frame.locator('.side[data-side="1"] .side-title', { hasText: 'shapes_res without skips' }).waitFor({ timeout: TIMEOUT });
    await frame.locator('#train-both').click();

    const pids = [
      await logged(session, /compare side A: PyTorch run of shapes_res started \(pid (\d+), /g, 0),
      await logged(session, /compare side B: PyTorch run of shapes_res started \(pid (\d+), /g, 0),
    ];
    assert.notEqual(pids[0], pids[1]);

    const status = frame.locator('#training-status');
    await frame.locator('#training-status[data-state="finished"]').waitFor({ timeout: TIMEOUT });
    const text = (await status.textContent()) ?? '';
    assert.match(text, /^Both models trained for 8 steps on the same batches\. Held-out accuracy: A \d+\.\d\d%, B \d+\.\d\d%\.$/, text);
    for (const side of [0, 1]) assert.ok(Number(await frame.locator(`#chart-loss path.series.side-${side}`).getAttribute('data-points')) >= 2, `side ${side}'s loss curve`);
    // The runners keep their final weights for the experiments until the panel closes.
    for (const pid of pids) assert.ok(groupMembers(pid).includes(pid), `runner ${pid} keeps the final weights`);

    const tab = page.locator('.tabs-container .tab', { hasText: 'Compare: shapes_res' });
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: TIMEOUT });
    for (const pid of pids) await groupGone(pid);
    assert.deepEqual(session.pageErrors, []);
  });
});

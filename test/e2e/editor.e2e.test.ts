// End to end, as a person uses SkipNet: the packaged extension in VS Code (code-server) in Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startVsCodeSession, waitForExtensionHostLog, type VsCodeSession } from './session';

describe('SkipNet in VS Code: editing a DenseNet', () => {
  let session: VsCodeSession;

  before(async () => {
    session = await startVsCodeSession({ name: 'editor' });
  });

  after(async () => {
    await session?.close();
  });

  it('opens densenet121.skipnet as SkipNet with no problems', async () => {
    const { workbench } = session;
    await workbench.openFile('densenet121.skipnet');
    assert.equal(await workbench.waitForStatusBarLanguage('SkipNet'), 'SkipNet');
    // Opening a .skipnet file activates the packaged extension (so "no problems" means it analyzed the file).
    const activation = await waitForExtensionHostLog(session.profile, /_doActivateExtension skipnet\.skipnet/);
    assert.match(activation, /activationEvent: 'onLanguage:skipnet'/);
    const rows = await workbench.problems();
    assert.deepEqual(rows, [], 'a valid example shows no problems');
    await workbench.screenshot('densenet-open');
  });

  it('shows a typed error in Problems with its line and column, and clears it on undo', async () => {
    const { workbench } = session;
    await workbench.openFile('densenet121.skipnet');
    // Line 20 is `  relu0: relu`: type a `u` after `relu` to make it the unknown layer `reluu`.
    await workbench.goTo(20, 14);
    await workbench.type('u');
    const rows = await workbench.waitForProblems(
      (all) => all.some((row) => row.line === 20),
      'a problem on line 20',
    );
    const typo = rows.find((row) => row.line === 20);
    assert.deepEqual(typo, {
      severity: 'error',
      message: "Unknown layer, block or tensor 'reluu'. Did you mean 'relu'?",
      source: 'skipnet(unknown-name)',
      line: 20,
      column: 10,
    });
    assert.equal(await session.page.locator('.monaco-editor .squiggly-error').count() > 0, true, 'the error is underlined in the editor');
    // Hovering the squiggle shows the same message in the editor.
    const hover = await workbench.hoverWord('reluu');
    assert.match(hover, /Unknown layer, block or tensor 'reluu'\. Did you mean 'relu'\?/);
    await workbench.screenshot('densenet-typo');

    await workbench.undo();
    const cleared = await workbench.waitForProblems((all) => all.length === 0, 'no rows after undo');
    assert.deepEqual(cleared, []);
  });

  // Typed as a user types (keystrokes into the focused editor), so the result does not depend on focus or on when
  // the line was tokenised: an API 'type' command could land before either and type a bare '('.
  it('typing ( at the end of a line inserts the closing ) (the language configuration), and undo removes both', async () => {
    const { workbench } = session;
    await workbench.openFile('densenet121.skipnet');
    await workbench.goTo(29, 12);
    assert.equal(await workbench.lineText(29), '  norm5: bn');
    await workbench.type('(');
    assert.equal(await workbench.waitForLineText(29, '  norm5: bn()'), '  norm5: bn()');
    await workbench.undo();
    assert.equal(await workbench.waitForLineText(29, '  norm5: bn'), '  norm5: bn');
  });
});

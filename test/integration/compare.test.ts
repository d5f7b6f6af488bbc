/// <reference types="mocha" />
// The Compare and PyTorch export commands as VS Code runs them.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateSkipNet, exampleUris } from './helpers';

suite('export to PyTorch', () => {
  suiteSetup(async () => {
    await activateSkipNet();
  });

  test('skipnet.exportPyTorch (uri, model) writes <model>.py next to the file', async () => {
    const [uri] = (await exampleUris()).filter((candidate) => candidate.path.endsWith('/resnet20.skipnet'));
    const target = await vscode.commands.executeCommand<vscode.Uri | undefined>('skipnet.exportPyTorch', uri, 'resnet20');
    assert.ok(target, 'a file was written');
    assert.equal(target.toString(), vscode.Uri.joinPath(uri, '..', 'resnet20.py').toString());
    const code = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    assert.match(code, /^import torch$/m);
    assert.match(code, /^class \w+\(nn\.Module\):$/m);
    assert.match(code, /def forward\(self, x\)/);
  });
});

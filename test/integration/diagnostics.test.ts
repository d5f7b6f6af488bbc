/// <reference types="mocha" />
// Diagnostics as VS Code receives them from SkipNet: codes, messages and ranges from the core.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { activateSkipNet, describe as describeDiagnostics, exampleUris, openSkipNetDocument, waitForDiagnostics } from './helpers';

const SHAPE_MISMATCH = [
  'model broken(28x28x1) {',
  '  stem: conv(16, 3, pad=1)',
  '  a: conv(32, 3, pad=1)',
  '  add(stem, a)',
  '  relu -> gap -> dense(10)',
  '}',
  '',
].join('\n');

suite('diagnostics', () => {
  suiteSetup(async () => {
    await activateSkipNet();
  });

  test('every example opens as SkipNet with no diagnostics', async () => {
    const uris = await exampleUris();
    assert.ok(uris.length >= 10, `the examples are in the workspace (${uris.length})`);
    const documents = await Promise.all(uris.map((uri) => vscode.workspace.openTextDocument(uri)));
    assert.deepEqual(documents.map((d) => d.languageId), documents.map(() => 'skipnet'));
    // A broken document opened after them gets its diagnostics after theirs were computed.
    const sentinel = await openSkipNetDocument(SHAPE_MISMATCH);
    await waitForDiagnostics(sentinel.uri, (all) => all.length > 0);
    for (const uri of uris) {
      assert.deepEqual(describeDiagnostics(vscode.languages.getDiagnostics(uri)), [], uri.path);
    }
  });

  test('a shape mismatch in an add is reported on the add with both shapes', async () => {
    const document = await openSkipNetDocument(SHAPE_MISMATCH);
    const diagnostics = await waitForDiagnostics(document.uri, (all) => all.length > 0);
    assert.deepEqual(describeDiagnostics(diagnostics), [
      {
        severity: 'Error',
        code: 'shape-mismatch',
        source: 'skipnet',
        message: 'add needs inputs of one shape but gets 28×28×16 and 28×28×32.',
        range: [3, 2, 3, 14],
      },
    ]);
  });

  test('a typo in a layer name is reported where it is typed, and clears when fixed', async () => {
    const [densenet] = (await exampleUris()).filter((uri) => uri.path.endsWith('/densenet121.skipnet'));
    const text = readFileSync(densenet.fsPath, 'utf8').replace('  relu0: relu\n', '  relu0: reluu\n');
    const document = await openSkipNetDocument(text);
    const editor = await vscode.window.showTextDocument(document);
    const diagnostics = await waitForDiagnostics(document.uri, (all) => all.some((d) => d.range.start.line === 19));
    const typo = describeDiagnostics(diagnostics).find((d) => d.range[0] === 19);
    assert.deepEqual(typo, {
      severity: 'Error',
      code: 'unknown-name',
      source: 'skipnet',
      message: "Unknown layer, block or tensor 'reluu'. Did you mean 'relu'?",
      range: [19, 9, 19, 14],
    });
    // Fix it as a person would, by editing the document.
    await editor.edit((edit) => edit.delete(new vscode.Range(19, 13, 19, 14)));
    assert.equal(document.lineAt(19).text, '  relu0: relu');
    await waitForDiagnostics(document.uri, (all) => all.length === 0);
  });

  test('Quick Fixes: a PyTorch name and a misspelt layer are fixed by their code actions, leaving no problem', async () => {
    const document = await openSkipNetDocument('model m(8x8x1) {\n  Conv2d(1, 4, 3, padding=1) -> rleu\n  gap -> dense(10)\n}\n');
    await vscode.window.showTextDocument(document);
    const diagnostics = await waitForDiagnostics(document.uri, (all) => all.length === 2);
    const titles: string[] = [];
    // Asked for the last diagnostic first, so the first fix does not move the second's range.
    for (const diagnostic of [...diagnostics].sort((a, b) => b.range.start.compareTo(a.range.start))) {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
      const skipnet = actions.filter((action) => action.kind?.value === vscode.CodeActionKind.QuickFix.value);
      const described = JSON.stringify(actions.map((a) => ({ title: a.title, kind: a.kind?.value, diagnostics: a.diagnostics?.map((d) => d.message) })));
      assert.equal(skipnet.length, 1, `one fix for: ${diagnostic.message}; offered: ${described}`);
      titles.push(skipnet[0].title);
      assert.ok(await vscode.workspace.applyEdit(skipnet[0].edit!));
    }
    assert.deepEqual(titles, ["Change 'rleu' to 'relu'", "Write 'conv(4, 3, pad=1)'"]);
    assert.equal(document.lineAt(1).text, '  conv(4, 3, pad=1) -> relu');
    await waitForDiagnostics(document.uri, (all) => all.length === 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

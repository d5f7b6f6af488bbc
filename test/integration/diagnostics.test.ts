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
});

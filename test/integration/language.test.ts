/// <reference types="mocha" />
// SkipNet's language features as VS Code itself asks for them: through the `vscode.execute*Provider`
// commands, which run every registered provider the way the editor does (hover, completion, signature
// help, outline, navigation, rename, CodeLens), plus related information of diagnostics and the
// language configuration (comment toggling, bracket auto-closing) through real editor commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateSkipNet, exampleUris, openSkipNetDocument, waitForDiagnostics } from './helpers';

/** The example with this file name, from the workspace (a scratch copy of examples/). */
async function example(fileName: string): Promise<vscode.TextDocument> {
  const uri = (await exampleUris()).find((candidate) => candidate.path.endsWith(`/${fileName}`));
  if (!uri) throw new Error(`${fileName} is not in the workspace`);
  return vscode.workspace.openTextDocument(uri);
}

/** The position of `column` characters into the `occurrence`-th match of `needle` in the document. */
function positionOf(document: vscode.TextDocument, needle: string, column = 0, occurrence = 0): vscode.Position {
  let index = -1;
  for (let seen = 0; seen <= occurrence; seen++) {
    index = document.getText().indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) is not in ${document.uri.path}`);
  }
  return document.positionAt(index + column);
}

/** The markdown text of every hover VS Code collects at a position, joined. */
async function hoverText(document: vscode.TextDocument, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

async function completionLabels(document: vscode.TextDocument, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, position);
  return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
}

/** [line, character, line, character] of a range, 0-based, for comparisons. */
const span = (range: vscode.Range): [number, number, number, number] => [range.start.line, range.start.character, range.end.line, range.end.character];

const LAYER_KINDS = ['conv', 'bn', 'relu', 'maxpool', 'avgpool', 'gap', 'dense', 'dropout', 'zeropad', 'add', 'concat'];

suite('language features through the VS Code API', () => {
  let densenet: vscode.TextDocument;
  let resnet: vscode.TextDocument;

  suiteSetup(async () => {
    await activateSkipNet();
    densenet = await example('densenet121.skipnet');
    resnet = await example('resnet20.skipnet');
  });

  test('hover on the DenseNet concat lists every instance with its feature maps and their provenance', async () => {
    const text = await hoverText(densenet, positionOf(densenet, 'concat(in, _)', 2));
    assert.ok(text.includes('58 instances; together 0 parameters, 0 MACs:'), text.slice(0, 400));
    const rows = text.split('\n').filter((line) => line.startsWith('| `'));
    assert.equal(rows.length, 58);
    assert.equal(rows[5], '| `denseblock1/denselayer6/concat1` | 56×56×256 | 256 = conv0 64 + denselayer1/conv2 32 + denselayer2/conv2 32 + denselayer3/conv2 32 + denselayer4/conv2 32 + denselayer5/conv2 32 + denselayer6/conv2 32 | 0 | 0 | 3.06 MiB |');
    assert.equal(rows[6], '| `denseblock2/denselayer1/concat1` | 28×28×160 | 160 = transition1/conv1 128 + denselayer1/conv2 32 | 0 | 0 | 490 KiB |');
  });

  test('hover on a block call gives the instance: output, feature maps, parameters, MACs, layers', async () => {
    const text = await hoverText(densenet, positionOf(densenet, 'denseblock(12)', 3));
    const lines = text.split('\n');
    assert.ok(lines.includes('Block `denseblock(n, k=32)`'), text);
    assert.ok(lines.includes('`denseblock2`'));
    assert.ok(lines.includes('- Output: `28×28×512`'));
    assert.ok(lines.includes('- Parameters: 919,680'));
    assert.ok(lines.includes('- MACs: 712,900,608 (712.90 M)'));
    assert.ok(lines.includes('- Layers: 84'));
    assert.ok(lines.includes('- Feature maps: 512 = transition1/conv1 128 + ' + Array.from({ length: 12 }, (_, i) => `denselayer${i + 1}/conv2 32`).join(' + ')));
  });

  test('completion at a new statement offers layer kinds, block names and the labels in scope above it', async () => {
    // A new, empty statement right after `pool0: maxpool(...)`, in an unsaved copy of the file.
    const text = densenet.getText().replace('  pool0: maxpool(3, stride=2, pad=1)\n', '  pool0: maxpool(3, stride=2, pad=1)\n  \n');
    const document = await openSkipNetDocument(text);
    const labels = await completionLabels(document, new vscode.Position(21, 2));
    for (const kind of LAYER_KINDS) assert.ok(labels.includes(kind), `layer kind ${kind} in ${labels.join(' ')}`);
    for (const block of ['denselayer', 'denseblock', 'transition']) assert.ok(labels.includes(block), `block ${block}`);
    for (const label of ['conv0', 'norm0', 'relu0', 'pool0', 'in', '_']) assert.ok(labels.includes(label), `reference ${label}`);
    // Labels below the cursor are not in scope yet.
    assert.ok(!labels.includes('denseblock1') && !labels.includes('classifier'), labels.join(' '));
    const items = (await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, new vscode.Position(21, 2))).items;
    const conv = items.find((item) => item.label === 'conv');
    assert.equal(conv?.kind, vscode.CompletionItemKind.Function);
    assert.equal(conv?.insertText instanceof vscode.SnippetString ? conv.insertText.value : conv?.insertText, 'conv(${1:filters}, ${2:kernel})');
    assert.equal(items.find((item) => item.label === 'denseblock')?.kind, vscode.CompletionItemKind.Module);
    assert.equal(items.find((item) => item.label === 'pool0')?.kind, vscode.CompletionItemKind.Variable);
  });

  test('completion inside a layer call offers the keyword arguments not yet given', async () => {
    const text = resnet.getText().replace('gap -> dense(10)', 'gap -> conv(16, 3, pad=1, )');
    const document = await openSkipNetDocument(text);
    const labels = await completionLabels(document, positionOf(document, 'pad=1, )', 7));
    for (const keyword of ['stride=', 'groups=', 'bias=', 'dilation=']) assert.ok(labels.includes(keyword), `${keyword} in ${labels.join(' ')}`);
    assert.ok(!labels.includes('pad=') && !labels.includes('kernel='), 'arguments already given are not offered again');
  });

  test('signature help of a block call and of a layer follows the argument under the cursor', async () => {
    const block = await vscode.commands.executeCommand<vscode.SignatureHelp>('vscode.executeSignatureHelpProvider', densenet.uri, positionOf(densenet, 'denseblock(6)', 11));
    assert.equal(block.signatures[block.activeSignature].label, 'denseblock(n, k=32)');
    assert.equal(block.activeParameter, 0);
    const parameters = block.signatures[0].parameters.map((p) => (typeof p.label === 'string' ? p.label : block.signatures[0].label.slice(...p.label)));
    assert.deepEqual(parameters, ['n', 'k=32']);

    const conv = await vscode.commands.executeCommand<vscode.SignatureHelp>('vscode.executeSignatureHelpProvider', densenet.uri, positionOf(densenet, 'conv(64, 7, stride=2', 12));
    assert.equal(conv.signatures[0].label, 'conv(filters, kernel, stride=1, pad=0, groups=1, bias=true, dilation=1)');
    assert.equal(conv.activeParameter, 2, 'the cursor is on stride=');
  });

  test('the outline lists the blocks and the model with its labelled statements', async () => {
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', densenet.uri);
    assert.deepEqual(symbols.map((s) => [s.name, vscode.SymbolKind[s.kind], s.detail]), [
      ['denselayer', 'Function', 'block(k, bn_size=4)'],
      ['denseblock', 'Function', 'block(n, k=32)'],
      ['transition', 'Function', 'block(theta=0.5)'],
      ['densenet121', 'Class', '224×224×3 → 1000 · 7,978,856 params'],
    ]);
    const model = symbols[3];
    assert.deepEqual(model.children.map((c) => c.name), ['conv0', 'norm0', 'relu0', 'pool0', 'denseblock1', 'transition1', 'denseblock2', 'transition2', 'denseblock3', 'transition3', 'denseblock4', 'norm5', 'classifier']);
    assert.deepEqual(span(model.range), [16, 0, 30, 1]);
    assert.deepEqual(span(model.selectionRange), [16, 6, 16, 17]);
  });

  test('go to definition, find references and rename of a block', async () => {
    const call = positionOf(densenet, 'denseblock(6)', 3);
    const definitions = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink>>('vscode.executeDefinitionProvider', densenet.uri, call);
    assert.deepEqual(definitions.map((d) => span('targetRange' in d ? d.targetRange : d.range)), [[8, 6, 8, 16]]);

    const references = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', densenet.uri, call);
    assert.deepEqual(references.map((r) => span(r.range)).sort((a, b) => a[0] - b[0]), [
      [8, 6, 8, 16], [21, 15, 21, 25], [23, 15, 23, 25], [25, 15, 25, 25], [27, 15, 27, 25],
    ]);

    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', densenet.uri, call, 'stage');
    const edits = edit.get(densenet.uri);
    assert.equal(edits.length, 5);
    assert.ok(edits.every((e) => e.newText === 'stage'));
    assert.deepEqual(edits.map((e) => span(e.range)).sort((a, b) => a[0] - b[0]), references.map((r) => span(r.range)).sort((a, b) => a[0] - b[0]));
  });

  test('rename of a named layer renames its label and the references that read it; a layer name is refused', async () => {
    const label = positionOf(resnet, 'residual:', 2);
    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', resnet.uri, label, 'main');
    assert.deepEqual(edit.get(resnet.uri).map((e) => [e.range.start.line, resnet.getText(e.range), e.newText]).sort(), [
      [5, 'residual', 'main'],
      [7, 'residual', 'main'],
    ]);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', resnet.uri, label, 'conv')),
      /conv/,
    );
  });

  test('CodeLens above each model: Train here, Show graph, Compare and the one-line summary', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', densenet.uri, 10);
    assert.deepEqual(lenses.map((lens) => [lens.range.start.line, lens.command?.title, lens.command?.command]), [
      [16, '$(play) Train here', 'skipnet.train'],
      [16, '$(type-hierarchy) Show graph', 'skipnet.showGraph'],
      [16, '$(diff) Compare', 'skipnet.compareModels'],
      [16, '7,978,856 params · 2.83 GMACs · 3.97 GiB to train at batch 32', ''],
    ]);
    const [uri, model] = lenses[1].command?.arguments ?? [];
    assert.equal(String(uri), densenet.uri.toString());
    assert.equal(model, 'densenet121');

    const resnetLenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', resnet.uri, 10);
    assert.equal(resnetLenses.find((lens) => lens.command?.command === '')?.command?.title, '269,722 params · 40.55 MMACs · 49.5 MiB to train at batch 32');
  });

  test('a shape mismatch carries related information pointing at both inputs', async () => {
    const text = 'model broken(28x28x1) {\n  stem: conv(16, 3, pad=1)\n  a: conv(32, 3, pad=1)\n  add(stem, a)\n  relu -> gap -> dense(10)\n}\n';
    const document = await openSkipNetDocument(text);
    const [diagnostic] = await waitForDiagnostics(document.uri, (all) => all.length > 0);
    assert.equal(diagnostic.code, 'shape-mismatch');
    assert.deepEqual(span(diagnostic.range), [3, 2, 3, 14]);
    assert.deepEqual(diagnostic.relatedInformation?.map((info) => [info.location.uri.toString(), span(info.location.range), info.message]), [
      [document.uri.toString(), [1, 8, 1, 26], "input 1 'stem' is 28×28×16 (from stem)"],
      [document.uri.toString(), [2, 5, 2, 23], "input 2 'a' is 28×28×32 (from a)"],
    ]);
  });

  test('the language configuration: Toggle Line Comment uses #', async () => {
    const document = await openSkipNetDocument(densenet.getText());
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(19, 4, 19, 4);
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.equal(document.lineAt(19).text, '  # relu0: relu');
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.equal(document.lineAt(19).text, '  relu0: relu');

    // Typing `(` closes itself: tested with real keystrokes in test/e2e/editor.e2e.test.ts.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

/**
 * The notification after a graph export (src/graph/actions.ts savedExportOffer, shown by saveExport in
 * src/graph/panel.ts): which buttons it offers for a saved file and the command each one runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { savedExportOffer } from '../../src/graph/actions';

/** The fields of a vscode.Uri the offer reads. */
function uri(scheme: string, fsPath: string, text: string): { scheme: string; fsPath: string; toString(): string } {
  return { scheme, fsPath, toString: () => text };
}

const BESIDE = -2; // vscode.ViewColumn.Beside

test('a file on disk: Open shows it in an editor beside the graph, Reveal shows it in the file manager', () => {
  const target = uri('file', '/home/u/models/resnet20.svg', 'file:///home/u/models/resnet20.svg');
  const offer = savedExportOffer(target, BESIDE);
  assert.equal(offer.message, 'Graph exported to /home/u/models/resnet20.svg');
  assert.deepEqual(offer.actions.map((a) => a.label), ['Open', 'Reveal in File Explorer']);
  const [open, reveal] = offer.actions;
  assert.equal(open.command, 'vscode.open');
  assert.equal(open.args[0], target, 'opens the file just written');
  assert.deepEqual(open.args[1], { viewColumn: BESIDE });
  assert.equal(reveal.command, 'revealFileInOS');
  assert.deepEqual(reveal.args, [target]);
});

test('a remote or virtual file: Open only (the system file manager cannot show it), named by its URI', () => {
  const target = uri('vscode-remote', '', 'vscode-remote://ssh-remote+box/home/u/graph.png');
  const offer = savedExportOffer(target, BESIDE);
  assert.equal(offer.message, 'Graph exported to vscode-remote://ssh-remote+box/home/u/graph.png');
  assert.deepEqual(offer.actions.map((a) => [a.label, a.command]), [['Open', 'vscode.open']]);
  assert.equal(offer.actions[0].args[0], target);
});

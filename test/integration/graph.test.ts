/// <reference types="mocha" />
// The graph command as VS Code runs it: a webview panel for the document, titled after it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateSkipNet, exampleUris } from './helpers';

/** Resolves with the first tab accepted by `accept`, waiting on tab changes; rejects after `timeoutMs`. */
function waitForTab(accept: (tab: vscode.Tab) => boolean, timeoutMs = 120_000): Promise<vscode.Tab> {
  const find = (): vscode.Tab | undefined => vscode.window.tabGroups.all.flatMap((group) => group.tabs).find(accept);
  return new Promise((resolve, reject) => {
    const found = find();
    if (found) return resolve(found);
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no such tab; tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ')}`));
    }, timeoutMs);
    const subscription = vscode.window.tabGroups.onDidChangeTabs(() => {
      const tab = find();
      if (!tab) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(tab);
    });
  });
}

const isGraphTab = (tab: vscode.Tab): boolean => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('skipnet.graph');

suite('graph command', () => {
  suiteSetup(async () => {
    await activateSkipNet();
  });

  test('skipnet.showGraphToSide opens a graph panel beside the document, titled after it', async () => {
    const [uri] = (await exampleUris()).filter((candidate) => candidate.path.endsWith('/resnet20.skipnet'));
    const editor = await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('skipnet.showGraphToSide', uri);
    const tab = await waitForTab((candidate) => isGraphTab(candidate) && candidate.label === 'Graph: resnet20.skipnet');
    assert.notEqual(tab.group.viewColumn, editor.viewColumn, 'the graph opens beside the editor');
    // Asking again reveals the same panel instead of opening a second one.
    await vscode.commands.executeCommand('skipnet.showGraphToSide', uri);
    assert.equal(vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter(isGraphTab).length, 1);
    await vscode.window.tabGroups.close(tab);
  });

  test('skipnet.showGraph (the CodeLens) also opens beside the source, which stays in view, and focuses the graph', async () => {
    const [uri] = (await exampleUris()).filter((candidate) => candidate.path.endsWith('/resnet18.skipnet'));
    const editor = await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('skipnet.showGraph', uri);
    const tab = await waitForTab((candidate) => isGraphTab(candidate) && candidate.label === 'Graph: resnet18.skipnet');
    assert.notEqual(tab.group.viewColumn, editor.viewColumn, 'the graph opens beside the editor, not over it');
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === uri.toString()), 'the source is still visible');
    assert.equal(tab.isActive && tab.group.isActive, true, 'the graph has the focus');
    await vscode.window.tabGroups.close(tab);
  });
});

/// <reference types="mocha" />
// The graph panel's title-bar and overflow-menu commands as VS Code runs them: they act on the active
// graph panel through the same messages as the page's controls, and without one they say so and do nothing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GraphPanel } from '../../src/graph/panel';
import type { LayoutDirection } from '../../src/protocol';
import { activateSkipNet, EXTENSION_ID, exampleUris } from './helpers';

/** Resolves once the panel's view reports `direction` drawn (or already has); rejects after `timeoutMs`. */
function drawn(panel: GraphPanel, direction: LayoutDirection, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (panel.drawnDirection === direction) return resolve();
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`the graph view never reported drawing '${direction}'; it last reported ${String(panel.drawnDirection)}`));
    }, timeoutMs);
    const subscription = panel.onDidDrawDirection((now) => {
      if (now !== direction) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}

/** The view type of the first open graph tab, once one is open (tabs appear asynchronously); rejects after `timeoutMs`. */
function graphTabViewType(timeoutMs = 120_000): Promise<string> {
  const find = (): string | undefined =>
    vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .map((tab) => tab.input)
      .find((input): input is vscode.TabInputWebview => input instanceof vscode.TabInputWebview && input.viewType.endsWith('skipnet.graph'))?.viewType;
  return new Promise((resolve, reject) => {
    const found = find();
    if (found) return resolve(found);
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error('no graph tab opened'));
    }, timeoutMs);
    const subscription = vscode.window.tabGroups.onDidChangeTabs(() => {
      const viewType = find();
      if (!viewType) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(viewType);
    });
  });
}

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

suite('graph title-bar actions', () => {
  suiteSetup(async () => {
    await activateSkipNet();
  });

  test('Toggle Layout Direction on the active graph panel lays it out left to right, and back', async () => {
    const [uri] = (await exampleUris()).filter((candidate) => candidate.path.endsWith('/plain20.skipnet'));
    await vscode.window.showTextDocument(uri);
    const panel = (await vscode.commands.executeCommand<GraphPanel | undefined>('skipnet.showGraph', uri))!;
    assert.ok(panel, 'skipnet.showGraph returns the panel');
    try {
      await drawn(panel, 'down');
      assert.equal(panel.panel.active, true, 'the graph has the focus, as after a click in its title bar');
      const acted = await vscode.commands.executeCommand<GraphPanel | undefined>('skipnet.graph.toggleDirection');
      assert.equal(acted, panel, 'the command acted on the active graph panel');
      await drawn(panel, 'right');
      await vscode.commands.executeCommand('skipnet.graph.toggleDirection');
      await drawn(panel, 'down');
    } finally {
      panel.dispose();
    }
  });

  test('without an active graph panel the commands are hidden from the menus and, run anyway, do nothing', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const menus = (extension.packageJSON as { contributes: { menus: Record<string, MenuEntry[]> } }).contributes.menus;
    const graphEntries = menus['editor/title'].filter((entry) => entry.command.startsWith('skipnet.graph.'));
    assert.ok(graphEntries.length >= 9, `${graphEntries.length} graph actions in the title bar and its menu`);
    // The clauses name the panel's real view type (the tab's viewType ends with it; VS Code prefixes it).
    const [uri] = (await exampleUris()).filter((candidate) => candidate.path.endsWith('/plain20.skipnet'));
    const panel = (await vscode.commands.executeCommand<GraphPanel | undefined>('skipnet.showGraphToSide', uri))!;
    try {
      const viewType = await graphTabViewType();
      for (const entry of [...graphEntries, ...menus.commandPalette.filter((e) => e.command.startsWith('skipnet.graph.'))]) {
        assert.equal(entry.when, "activeWebviewPanelId == 'skipnet.graph'", entry.command);
      }
      assert.ok(viewType.endsWith('skipnet.graph'), `${viewType} is the graph panel the clauses name`);
    } finally {
      panel.dispose();
    }
    // A text editor has the focus and no graph panel is open: every command returns without acting.
    await vscode.window.showTextDocument(uri);
    for (const command of ['skipnet.graph.toggleDirection', 'skipnet.graph.fit', 'skipnet.graph.collapseAll', 'skipnet.graph.train']) {
      assert.equal(await vscode.commands.executeCommand(command), undefined, `${command} without a graph panel`);
    }
  });
});

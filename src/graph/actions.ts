/**
 * The graph panel's actions outside its page: the commands of its title bar (Train here, the main action)
 * and overflow menu (view, blocks, exports, Compare, PyTorch), and what the notification after a saved
 * export offers. Plain data and pure functions, with no `vscode` import at run time, so the manifest test
 * can hold package.json to this table and the export offer can be checked in plain Node.
 */
import type { Uri } from 'vscode';
import type { ExportFormat, GraphViewAction } from '../protocol/messages';

/** The graph panel's webview type; a `when` clause names it through `activeWebviewPanelId`. */
export const GRAPH_VIEW_TYPE = 'skipnet.graph';
/** Shows a title-bar entry only while a graph panel is the active editor. */
export const GRAPH_ACTIVE_WHEN = `activeWebviewPanelId == '${GRAPH_VIEW_TYPE}'`;

/** What a title-bar command does to the active graph panel. */
export type GraphTitleAction =
  /** The `train` message with action 'start', as the page's Start button: the page asks the host for a run. */
  | { kind: 'train' }
  /** The `viewAction` message, as the page's Fit and Fit width buttons. */
  | { kind: 'view'; action: GraphViewAction }
  /** The `exportRequest` message (theme and wrap picked in a quick pick), then a save dialog. */
  | { kind: 'export'; format: ExportFormat }
  /** skipnet.compareModels / skipnet.exportPyTorch with the panel's document and model. */
  | { kind: 'compare' }
  | { kind: 'exportPyTorch' };

export interface GraphTitleCommand {
  command: string;
  title: string;
  /** 'navigation': a button in the title bar (needs `icon`); any other group: the overflow ("…") menu, sorted by group. */
  group: string;
  icon?: string;
  action: GraphTitleAction;
}

/** Train here is the one button; the rest sit in the overflow menu in the order of the old in-page toolbar. */
export const GRAPH_TITLE_COMMANDS: readonly GraphTitleCommand[] = [
  { command: 'skipnet.graph.train', title: 'Train Here', group: 'navigation', icon: '$(play)', action: { kind: 'train' } },
  { command: 'skipnet.graph.fit', title: 'Fit Whole Graph', group: '1_view@1', action: { kind: 'view', action: 'fit' } },
  { command: 'skipnet.graph.fitAcross', title: 'Fit Width (Height Left to Right)', group: '1_view@2', action: { kind: 'view', action: 'fitAcross' } },
  { command: 'skipnet.graph.toggleDirection', title: 'Toggle Layout Direction (Top Down / Left to Right)', group: '1_view@3', action: { kind: 'view', action: 'toggleDirection' } },
  { command: 'skipnet.graph.expandAll', title: 'Expand All Blocks', group: '2_blocks@1', action: { kind: 'view', action: 'expandAll' } },
  { command: 'skipnet.graph.collapseAll', title: 'Collapse All Blocks', group: '2_blocks@2', action: { kind: 'view', action: 'collapseAll' } },
  { command: 'skipnet.graph.exportSvg', title: 'Export Graph as SVG…', group: '3_export@1', action: { kind: 'export', format: 'svg' } },
  { command: 'skipnet.graph.exportPng', title: 'Export Graph as PNG…', group: '3_export@2', action: { kind: 'export', format: 'png' } },
  { command: 'skipnet.graph.exportPyTorch', title: 'Export Model to PyTorch', group: '3_export@3', action: { kind: 'exportPyTorch' } },
  { command: 'skipnet.graph.compare', title: 'Compare with…', group: '4_compare@1', action: { kind: 'compare' } },
];

/** What a title-bar command says when it runs without an active graph panel (from a key binding or a script). */
export const NO_GRAPH_PANEL_MESSAGE = 'SkipNet: this action works on the active graph view. Open one with "SkipNet: Show Graph" and try again.';

/** One button of the notification after an export and the VS Code command it runs, with its arguments. */
export interface SavedExportAction {
  label: 'Open' | 'Reveal in File Explorer';
  /** 'vscode.open' opens the file in an editor (VS Code's image preview); 'revealFileInOS' shows it in the system's file manager. */
  command: 'vscode.open' | 'revealFileInOS';
  args: unknown[];
}

export interface SavedExportOffer {
  message: string;
  actions: SavedExportAction[];
}

/**
 * The message and buttons for an export saved to `target`. Reveal is offered only for `file:` URIs: the
 * system's file manager cannot show a remote or virtual file. `beside`: the view column that opens the file
 * next to the graph (`vscode.ViewColumn.Beside`, passed in so this module needs no `vscode` at run time).
 */
export function savedExportOffer(target: Pick<Uri, 'scheme' | 'fsPath' | 'toString'>, beside: number): SavedExportOffer {
  const actions: SavedExportAction[] = [{ label: 'Open', command: 'vscode.open', args: [target, { viewColumn: beside }] }];
  if (target.scheme === 'file') actions.push({ label: 'Reveal in File Explorer', command: 'revealFileInOS', args: [target] });
  return { message: `Graph exported to ${target.fsPath || target.toString()}`, actions };
}

/** The graph webview's protocol: message types, the graph payload and runtime validators. No `vscode`, no DOM. */
export * from './messages';
export * from './payload';
export * from './validate';
export * from './compare-messages';
export * from './compare-validate';

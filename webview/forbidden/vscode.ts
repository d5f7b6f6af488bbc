// The `vscode` extension API does not exist inside a webview. webview/tsconfig.json maps the module
// `vscode` here and leaves this folder out of its file list, so any import of it fails with TS6307.
export {};

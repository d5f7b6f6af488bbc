/**
 * The graph webview's HTML. Pure (no `vscode` import) so tests load exactly this page. Strict CSP:
 * `default-src 'none'`, scripts only with this page's nonce (plus WebAssembly compilation for training), the layout worker from a blob: URL made from
 * the fetched bundle, styles from constructable sheets (and the webview's own origin). Initial data
 * travels in HTML-escaped data-* attributes, never inside a script.
 */
import { randomBytes } from 'node:crypto';

export interface GraphHtmlOptions {
  /** `webview.cspSource`: the origin the webview's resources are served from. */
  cspSource: string;
  /** URLs (as webview URIs) of the page bundle and the layout worker bundle. */
  scriptUri: string;
  workerUri: string;
  /** The training runtime bundle (train.js, loaded on the first run) and the folder of tfjs's .wasm files ('/' at the end). */
  trainUri?: string;
  wasmUri?: string;
  /** Document URI and model the panel shows (may be '' until known). */
  documentUri: string;
  model: string;
  nonce?: string;
  title?: string;
}

/** 128 random bits, base64: a fresh one for every page. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Escapes text for an HTML attribute value or text node. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    // 'wasm-unsafe-eval' lets the training runtime compile tfjs's WebAssembly backend; plain eval stays forbidden.
    // blob: lets the threaded wasm backend's pthread workers import their script (only where VS Code runs
    // cross-origin isolated); a blob: URL can only be made by a script that already runs here with the nonce.
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval' blob:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
    `connect-src ${cspSource}`,
    'worker-src blob:',
  ].join('; ');
}

export function graphHtml(options: GraphHtmlOptions): string {
  const nonce = options.nonce ?? makeNonce();
  const attr = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(options.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(options.title ?? 'SkipNet graph')}</title>
</head>
<body data-uri="${attr(options.documentUri)}" data-model="${attr(options.model)}" data-worker-uri="${attr(options.workerUri)}" data-train-uri="${attr(options.trainUri ?? '')}" data-wasm-uri="${attr(options.wasmUri ?? '')}">
<script nonce="${attr(nonce)}" src="${attr(options.scriptUri)}"></script>
</body>
</html>`;
}

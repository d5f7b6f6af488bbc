/** What VS Code gives a webview page, and esbuild's text loader for the stylesheet. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

declare module '*.css' {
  const text: string;
  export default text;
}

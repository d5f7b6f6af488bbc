/**
 * Styles of the lesion study panel, adopted as a constructable sheet (the webview's CSP allows no inline <style>,
 * so the rules Observable Plot would inject are here too). Colours are VS Code theme variables with fallbacks:
 * series 0 is the model, series 1 its no-skip ablation (or Compare's side B).
 */
export const LESION_CSS = `
.lesion-panel { --lesion-series-0: var(--vscode-charts-blue, #3794ff); --lesion-series-1: var(--vscode-charts-orange, #d18616);
  display: flex; flex-direction: column; gap: 3px; padding: 4px 0; border-top: 1px solid var(--g-group-stroke, var(--vscode-panel-border, #80808059)); }
#training[data-state="idle"] > .lesion-panel { display: none; }
.lesion-panel .lesion-heading { font-weight: 600; }
.lesion-panel .lesion-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.lesion-panel .lesion-cost, .lesion-panel .lesion-status, .lesion-panel .lesion-singles { color: var(--g-muted, var(--vscode-descriptionForeground, #999)); }
.lesion-panel .lesion-status:empty, .lesion-panel .lesion-chart:empty, .lesion-panel .lesion-singles:empty { display: none; }
.lesion-panel .lesion-progress[hidden] { display: none; }
.lesion-panel .lesion-legend { display: flex; gap: 14px; }
.lesion-panel .lesion-legend-0, .lesion-panel .lesion-series-0 { color: var(--lesion-series-0); }
.lesion-panel .lesion-legend-1, .lesion-panel .lesion-series-1 { color: var(--lesion-series-1); }
.lesion-panel .lesion-chance, .lesion-panel .lesion-chance-label { color: var(--g-muted, var(--vscode-descriptionForeground, #999)); }
.lesion-panel svg.lesion-plot { display: block; height: auto; max-width: 100%; overflow: visible; color: var(--g-fg, var(--vscode-foreground, #ccc)); }
.lesion-panel svg.lesion-plot text, .lesion-panel svg.lesion-plot tspan { white-space: pre; fill: currentColor; }
`;

let sheet: CSSStyleSheet | undefined;
let users = 0;

/** Adopts the panel's sheet into the document (once); the returned function drops this use of it. */
export function adoptLesionStyles(): () => void {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(LESION_CSS);
  }
  if (users++ === 0) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
}

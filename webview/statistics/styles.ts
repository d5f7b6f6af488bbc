/**
 * Styles of the statistics overlay, adopted as a constructable sheet (the webview's CSP allows no inline
 * <style>). Colours are VS Code theme variables with fallbacks; high-contrast themes get stronger
 * outlines and a weaker fill mix so the node labels keep their contrast.
 */
import { PLOT_CSS } from '../shared/plot-theme';
export const STATS_CSS = `:root {
  --stats-low: var(--vscode-charts-blue, #3794ff);
  --stats-high: var(--vscode-charts-red, #f14c4c);
  --stats-shortcut: var(--vscode-charts-purple, #b180d7);
  --stats-residual: var(--vscode-charts-orange, #d18616);
  --stats-strength: 55%;
  --stats-halo: var(--vscode-editor-background, #1e1e1e);
  --reuse-high: var(--vscode-charts-green, #89d185);
  --reuse-low: color-mix(in srgb, var(--reuse-high) 12%, var(--vscode-editor-background, #1e1e1e));
}
body.vscode-light { --stats-strength: 45%; }
body.vscode-high-contrast, body.vscode-high-contrast-light { --stats-strength: 40%; }
.graph-content .node .stats-badge { font-size: 9px; font-weight: 600; fill: var(--g-fg); paint-order: stroke; stroke: var(--stats-halo); stroke-width: 2.5px; stroke-linejoin: round; pointer-events: none; }
.graph-content .node.stats-revealed > .shape { stroke: var(--g-focus); stroke-width: 3; stroke-dasharray: 5 2; }
.graph-content .stats-flows .stats-flow { fill: none; stroke-linecap: round; stroke-opacity: 0.85; }
.graph-content .stats-flows .stats-flow.role-shortcut { stroke: var(--stats-shortcut); }
.graph-content .stats-flows .stats-flow.role-residual { stroke: var(--stats-residual); }
.graph-content .stats-flows .stats-flow-label { font-size: 9.5px; fill: var(--g-fg); paint-order: stroke; stroke: var(--stats-halo); stroke-width: 3px; stroke-linejoin: round; pointer-events: none; }
body.vscode-high-contrast .graph-content .stats-flows .stats-flow, body.vscode-high-contrast-light .graph-content .stats-flows .stats-flow { stroke-opacity: 1; }
.stats-overlay[hidden] { display: none; }
.stats-overlay { display: flex; flex-direction: column; gap: 6px; color: var(--g-fg); font-family: var(--g-font); font-size: 12px; }
.stats-overlay .stats-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.stats-overlay .stats-step { color: var(--g-muted); }
.stats-overlay .stats-legend { display: flex; align-items: center; gap: 4px; }
.stats-overlay .stats-legend[hidden] { display: none; }
.stats-overlay .stats-ramp { width: 120px; height: 10px; border: 1px solid var(--g-node-stroke); border-radius: 2px; }
.stats-overlay .stats-legend .stats-scale-type, .stats-overlay .stats-flow-legend { color: var(--g-muted); }
.stats-overlay .stats-flow-legend .swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin: 0 3px 0 8px; }
.stats-overlay .stats-flow-legend .swatch.shortcut { background: var(--stats-shortcut); }
.stats-overlay .stats-flow-legend .swatch.residual { background: var(--stats-residual); }
.stats-overlay .stats-heatmaps { display: flex; flex-wrap: wrap; gap: 10px; }
.stats-overlay .stats-heatmaps .heat-measure { flex-basis: 100%; align-self: flex-start; max-width: 260px; background: var(--vscode-dropdown-background, var(--g-node-fill)); color: var(--vscode-dropdown-foreground, var(--g-fg)); border: 1px solid var(--vscode-dropdown-border, var(--g-node-stroke)); font: inherit; padding: 2px; }
.stats-overlay .stats-heatmaps .heat-measure[hidden] { display: none; }
.stats-overlay .stats-heatmap { margin: 0; display: flex; flex-direction: column; gap: 2px; }
.stats-overlay .stats-heatmap figcaption { font-weight: 600; display: flex; gap: 8px; align-items: baseline; }
.stats-overlay .stats-heatmap .heat-status { font-weight: normal; color: var(--g-muted); }
.stats-overlay .stats-heatmap[data-state="initial"] .heat-status { font-style: italic; color: var(--vscode-editorWarning-foreground, #cca700); }
.stats-overlay .stats-heatmap .heat-scale { display: flex; align-items: center; gap: 4px; color: var(--g-muted); font-size: 11px; }
.stats-overlay .stats-heatmap .heat-hover { color: var(--g-muted); min-height: 1.3em; max-width: 260px; overflow-wrap: anywhere; }
.stats-overlay .stats-heatmap .heat-plot { width: fit-content; outline: none; }
.stats-overlay .stats-heatmap .heat-plot:focus-visible { outline: 1px solid var(--g-focus); }
.stats-overlay .stats-heatmap svg { display: block; overflow: visible; font-family: var(--g-font); color: var(--g-fg); }
/* Tick labels, axis titles and the colour bar's labels in the theme's foreground: the description colour they
   had is pale on a light editor (under 4.5:1, WCAG 1.4.3) and the numbers are what the map is read by. */
.stats-overlay .stats-heatmap [aria-label="source label"], .stats-overlay .stats-heatmap [aria-label="target label"] { fill: var(--g-fg); font-size: 11px; }
.stats-overlay .stats-heatmap [aria-label$="tick label"] { fill: var(--g-fg); }
.stats-overlay .stats-heatmap .heat-legend-ramp { color: var(--g-fg); font-size: 10px; }
.stats-overlay .stats-heatmap .heat-cell { cursor: pointer; stroke: var(--g-bg); stroke-width: 0.5; }
.stats-overlay .stats-heatmap .heat-cell.current { stroke: var(--g-focus); stroke-width: 1.5; }
body.vscode-high-contrast .stats-overlay .stats-heatmap .heat-cell, body.vscode-high-contrast-light .stats-overlay .stats-heatmap .heat-cell { stroke: var(--vscode-contrastBorder, #6fc3df); }
#tooltip .stats-section { margin-top: 5px; padding-top: 4px; border-top: 1px solid var(--vscode-editorHoverWidget-border, var(--g-node-stroke)); }
#tooltip .stats-section .stats-heading { color: var(--g-muted); margin-bottom: 2px; }
#tooltip .stats-row { display: grid; grid-template-columns: 150px 60px 84px; gap: 6px; align-items: center; }
#tooltip .stats-row .key { color: var(--g-muted); }
#tooltip .stats-sparkline .spark-line path { fill: none; stroke: var(--g-concat); stroke-width: 1.2; }
#tooltip .stats-sparkline .spark-dot circle { fill: var(--g-concat); stroke: none; }
#tooltip .stats-bars rect { fill: var(--stats-residual); }
#tooltip .stats-bars rect.input { fill: var(--stats-shortcut); }
`;

let sheet: CSSStyleSheet | null = null;
let users = 0;

/** Adopts the overlay's sheet into the document (once); the returned function drops this use of it. */
export function adoptStatsStyles(): () => void {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    // The algebra matrices are Plot charts: Plot's own rules come with them (its inline <style> is removed).
    sheet.replaceSync(`${STATS_CSS}\n${PLOT_CSS}`);
  }
  if (users++ === 0) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
}

/**
 * Styles of the drawn graph (also embedded in every exported or rendered SVG). Colours come from the
 * --g-* palette: in the webview it maps VS Code's theme variables (webview/shared/styles.css); a standalone SVG
 * defines it from PRINT_PALETTE or the palette the page resolved.
 */
export const GRAPH_CSS = `.graph-content text { font-family: var(--g-font); fill: var(--g-fg); font-size: 11px; }
.graph-content .node > .shape { fill: var(--g-node-fill); stroke: var(--g-node-stroke); stroke-width: 1; }
.graph-content .node.kind-input > .shape { stroke: var(--g-input); stroke-width: 1.5; }
.graph-content .node.merge-add > .shape { stroke: var(--g-add); stroke-width: 2; }
.graph-content .node.merge-concat > .shape { stroke: var(--g-concat); stroke-width: 2; }
.graph-content .node .label { font-weight: 600; }
.graph-content .node .kind, .graph-content .node .detail { fill: var(--g-muted); font-size: 10px; }
.graph-content .node .merge-sign { font-weight: 700; font-size: 14px; }
.graph-content .node.merge-add .merge-sign { fill: var(--g-add); }
.graph-content .node.merge-concat .merge-sign { fill: var(--g-concat); }
.graph-content .node.collapsed > .shape { stroke-dasharray: 4 2; stroke-width: 1.5; }
.graph-content .node.dense-block > .shape { stroke: var(--g-dense); }
.graph-content .glyph .cell { fill: var(--g-dense); }
.graph-content .glyph .cell.input { fill: var(--g-input); }
.graph-content .glyph .frame { fill: none; stroke: var(--g-muted); stroke-width: 0.5; }
.graph-content .seg-0 { fill: var(--g-seg-0); } .graph-content .seg-1 { fill: var(--g-seg-1); } .graph-content .seg-2 { fill: var(--g-seg-2); }
.graph-content .seg-3 { fill: var(--g-seg-3); } .graph-content .seg-4 { fill: var(--g-seg-4); } .graph-content .seg-5 { fill: var(--g-seg-5); }
.graph-content .seg-zero { fill: var(--g-muted); }
.graph-content .group > rect { fill: var(--g-group-fill); stroke: var(--g-group-stroke); stroke-width: 1; }
.graph-content .group.dense-block > rect { stroke: var(--g-dense); }
.graph-content .group .title { font-weight: 600; }
.graph-content .group .title-leader { stroke: var(--g-muted); stroke-width: 1; stroke-dasharray: 1 2; }
.graph-content .toggle { cursor: pointer; }
.graph-content .toggle rect { fill: var(--g-node-fill); stroke: var(--g-muted); stroke-width: 1; }
.graph-content .toggle text { font-size: 11px; font-weight: 700; fill: var(--g-fg); }
.graph-content .edge { fill: none; stroke: var(--g-edge); }
.graph-content .edge.into-add { stroke: var(--g-add); }
.graph-content .edge.into-concat { stroke: var(--g-concat); }
.graph-content .edge.arc { stroke: var(--g-dense); stroke-opacity: 0.7; }
.graph-content .edge-label { fill: var(--g-muted); font-size: 9px; }
.graph-content.tracing .edge { stroke-opacity: 0.12; }
.graph-content.tracing .edge.related { stroke-opacity: 1; }
.graph-content.tracing .edge-labels { opacity: 0.25; }
.graph-content .node { cursor: pointer; outline: none; }
.graph-content .node.highlighted > .shape { fill: var(--g-highlight); stroke: var(--g-highlight-stroke); stroke-width: 2; }
.graph-content .node.selected > .shape, .graph-content .node:focus > .shape { stroke: var(--g-focus); stroke-width: 2.5; }
.graph-content .node .badge { fill: var(--g-fg); font-size: 9px; }
.graph-content .node .stat { stroke: none; }
.graph-content .arrow-head, .arrow-head { fill: var(--g-edge); }
`;

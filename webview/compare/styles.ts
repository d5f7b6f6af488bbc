/** Layout of the Compare page (the graphs inside each side use the graph page's styles). */
export const COMPARE_CSS = `
html, body { margin: 0; padding: 0; height: 100%; overflow: hidden; background: var(--g-bg); color: var(--g-fg); font-family: var(--g-font); font-size: 12px; }
#compare-app { display: flex; flex-direction: column; height: 100%; }
#compare-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; padding: 4px 8px; border-bottom: 1px solid var(--g-group-stroke); }
#compare-toolbar .spacer { flex: 1; }
#compare-title { font-weight: 600; }
#metrics { border-collapse: collapse; margin: 4px 8px; align-self: flex-start; font-variant-numeric: tabular-nums; }
#metrics th, #metrics td { padding: 1px 10px; text-align: right; white-space: nowrap; }
#metrics thead th { border-bottom: 1px solid var(--g-group-stroke); }
#metrics th[scope="row"], #metrics thead th:first-child { text-align: left; color: var(--g-muted); font-weight: normal; }
#training-status:empty { display: none; }
#training-status { padding: 2px 8px; color: var(--g-muted); white-space: pre-line; }
#train-both-browser[hidden] { display: none; }
#training-status[data-state="error"], #training-status[data-state="unavailable"] { color: var(--g-error); }
#training-plan:empty { display: none; }
#training-plan { padding: 2px 8px; color: var(--g-muted); }
#training-plan[data-mode="smaller-batch"], #training-plan[data-mode="one-after-the-other"] { color: var(--vscode-editorWarning-foreground, var(--g-fg)); }
#training-plan[data-mode="refused"] { color: var(--g-error); }
#training { display: none; padding: 2px 8px; }
#training.visible { display: block; }
#compare-lesion { padding: 0 8px; }
#compare-path-gradients { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0 8px; }
#compare-path-gradients[hidden] { display: none; }
#compare-path-gradients .chart { flex: 1; min-width: 240px; }
#compare-path-gradients .chart-title { color: var(--g-muted); }
#compare-lesion[hidden] { display: none; }
#compare-algebra { padding: 0 8px; max-height: 40vh; overflow: auto; flex: none; }
#compare-algebra[hidden] { display: none; }
#compare-algebra .algebra-heading, #compare-algebra .algebra-status { color: var(--g-muted); }
#compare-algebra .algebra-sides { display: flex; gap: 4px 16px; }
#compare-algebra .algebra-side { flex: 1; min-width: 0; overflow-x: auto; }
#compare-algebra .algebra-side + .algebra-side { border-left: 1px solid var(--g-group-stroke); padding-left: 8px; }
#compare-algebra .algebra-side-title { font-size: 12px; margin: 4px 0 2px; }
#sides { flex: 1; min-height: 0; display: flex; gap: 4px; }
.side { flex: 1; min-width: 0; display: flex; flex-direction: column; border-top: 1px solid var(--g-group-stroke); }
.side + .side { border-left: 1px solid var(--g-group-stroke); }
.side-head { display: flex; align-items: center; gap: 10px; padding: 4px 8px; }
.side-title { font-size: 13px; margin: 0; flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.problems { padding: 0 8px; color: var(--g-error); max-height: 6em; overflow: auto; }
.problems .ok { color: var(--g-muted); }
.match { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 2px 8px 4px; }
.match .knob-label { color: var(--g-muted); }
.match select { background: var(--vscode-dropdown-background, var(--g-node-fill)); color: var(--vscode-dropdown-foreground, var(--g-fg)); border: 1px solid var(--vscode-dropdown-border, var(--g-node-stroke)); font: inherit; padding: 2px; }
.match .suggestion { color: var(--g-fg); }
.graph-host { flex: 1; min-height: 0; position: relative; }
`;

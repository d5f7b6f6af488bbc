/// <reference path="../../webview/env.d.ts" />
/**
 * Test page for the statistics overlay (bundled by `build.mjs --webview-tests` into out/webview-test/pages,
 * served by the harness under the real CSP). It mounts the real GraphView, layout worker and
 * StatisticsOverlay the way the training UI does — repaint after every render, a heat-map click pans to
 * the layer — and exposes a small driver on `window.__statsPage` for the browser tests. Not shipped.
 */
import { GRAPH_CSS } from '../../src/drawing/graph-styles';
import type { GraphPayload } from '../../src/protocol/payload';
import type { TrainingStatistics } from '../../src/train/stats';
import css from '../../webview/shared/styles.css';
import { GraphView } from '../../webview/graph/graph-view';
import { LayoutClient, startLayoutWorker } from '../../webview/graph/layout-client';
import { StatisticsOverlay, type StatisticsRevealDetail } from '../../webview/statistics/overlay';

export interface StatsPageDriver {
  show(payload: GraphPayload): Promise<void>;
  update(step: number, statistics: TrainingStatistics): void;
  /** `count` updates from step `from`, every number of `statistics` scaled by a factor that varies per step. */
  updateMany(statistics: TrainingStatistics, from: number, count: number): void;
  setMetric(name: string): void;
  repaint(): void;
  clear(): void;
  dispose(): void;
  toggle(groupId: string): Promise<void>;
  setAllCollapsed(collapsed: boolean): Promise<void>;
  reveals: string[];
}

declare global {
  interface Window {
    __statsPage: StatsPageDriver;
  }
}

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(`${css}\n${GRAPH_CSS}\n#stats-panel { max-height: 260px; overflow: auto; padding: 6px 8px; border-bottom: 1px solid var(--g-group-stroke); }`);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const make = <K extends keyof HTMLElementTagNameMap>(tag: K, id: string, parent: Element): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  el.id = id;
  parent.appendChild(el);
  return el;
};
const app = make('div', 'app', document.body);
const panel = make('div', 'stats-panel', app);
const stage = make('div', 'stage', app);
const minimap = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
minimap.id = 'minimap';
stage.appendChild(minimap);
const tooltip = make('div', 'tooltip', stage);
tooltip.setAttribute('role', 'tooltip');

function scaled(statistics: TrainingStatistics, factor: number, step: number): TrainingStatistics {
  const scale = (v: number | undefined): number | undefined => (v === undefined ? undefined : v * factor);
  return {
    step,
    layers: statistics.layers.map((l) => ({ ...l, gradNorm: scale(l.gradNorm), weightNorm: scale(l.weightNorm), updateRatio: scale(l.updateRatio), activationMean: l.activationMean * factor })),
    merges: statistics.merges.map((m) => (m.kind === 'add' ? { ...m, branches: m.branches.map((b) => ({ ...b, gradNorm: b.gradNorm * factor })) } : { ...m, slices: m.slices.map((s) => ({ ...s, gradNorm: s.gradNorm * factor })) })),
    reuse: statistics.reuse.map((r) => ({ ...r, rows: r.rows.map((row) => ({ ...row, values: row.values.map((v) => (v === null ? null : v * factor)) })) })),
  };
}

async function start(): Promise<void> {
  const layout = new LayoutClient(await startLayoutWorker(document.body.dataset.workerUri ?? ''));
  const view = new GraphView(stage, tooltip, minimap, layout, { reveal: () => undefined, stateChanged: () => undefined });
  const overlay = new StatisticsOverlay({ panel, rendering: () => view.currentRendering });
  const reveals: string[] = [];
  stage.addEventListener('graph-rendered', () => overlay.repaint());
  panel.addEventListener('statistics-reveal', (event) => {
    const { id } = (event as CustomEvent<StatisticsRevealDetail>).detail;
    reveals.push(id);
    view.highlight([id]);
  });
  window.__statsPage = {
    reveals,
    show: async (payload) => void (await view.update(payload)),
    update: (step, statistics) => overlay.update(step, statistics),
    updateMany: (statistics, from, count) => {
      for (let i = 0; i < count; i++) overlay.update(from + i, scaled(statistics, 1 + 0.5 * Math.sin(i / 7), from + i));
    },
    setMetric: (name) => overlay.setMetric(name),
    repaint: () => overlay.repaint(),
    clear: () => overlay.clear(),
    dispose: () => overlay.dispose(),
    toggle: async (id) => void (await view.toggle(id)),
    setAllCollapsed: async (collapsed) => void (await view.setAllCollapsed(collapsed)),
  };
  vscode.postMessage({ type: 'ready', protocol: 1, uri: '', version: 0 });
}

void start();

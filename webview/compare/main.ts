/**
 * The Compare view's page: two graphs side by side (each a GraphView in its own shadow root, so the
 * graph page's ids and styles apply unchanged) drawn on one shared row grid so items of equal depth
 * sit at the same height, linked pan and zoom so they stay there, the comparison table, the "without skip connections"
 * switch per side, and parameter-matched suggestions that can be written back to the file. Every host
 * message is validated; requests carry the revision they were made against.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { formatCount } from '../../src/core/memory';
import { GRAPH_CSS } from '../../src/drawing/graph-styles';
import { COMPARE_PROTOCOL_VERSION, type CompareSidePayload, type CompareTrainingState, type CompareToHost, type CompareWebviewState, type DepthGradient, type HostToCompare, type SideIndex } from '../../src/protocol/compare-messages';
import { validateCompareHostMessage } from '../../src/protocol/compare-validate';
import { TrainingCharts } from './charts';
import { RowAligner } from './rows';
import { COMPARE_CSS } from './styles';
import { GraphView } from '../graph/graph-view';
import { LayoutClient, startLayoutWorker } from '../graph/layout-client';
import { TrainBoth } from '../training/train-both';
import type { HostRun } from '../training/host-run';
import { hostedPair, PairRunFindings } from './pair-runs';
import { CompareLesion } from './lesion';
import { ComparePathCharts } from './path-charts';
import { CompareAlgebra } from './algebra';
import { LandscapePanel } from '../training/landscape-panel';
import css from '../shared/styles.css';
import { ANSWERS_CSS, AnswersPanel } from '../shared/answers-panel';
import { PLOT_CSS, seriesColours } from '../shared/plot-theme';

const vscode = acquireVsCodeApi();
const graphSheet = new CSSStyleSheet();
graphSheet.replaceSync(`${css}\n${GRAPH_CSS}`);
const compareSheet = new CSSStyleSheet();
compareSheet.replaceSync(COMPARE_CSS);
const answersSheet = new CSSStyleSheet();
answersSheet.replaceSync(`${PLOT_CSS}\n${ANSWERS_CSS}`);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, graphSheet, compareSheet, answersSheet];

let revision = 0;
let sides: [CompareSidePayload, CompareSidePayload] | null = null;

function post(message: CompareToHost): void {
  vscode.postMessage(message);
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, parent?: Node, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  parent?.appendChild(el);
  return el;
}

function custom(tag: string, attributes: Record<string, string>, label: string, parent: Node): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  el.textContent = label;
  parent.appendChild(el);
  return el;
}

const other = (side: SideIndex): SideIndex => (side === 0 ? 1 : 0);

// ── Page ──
const app = element('div', { id: 'compare-app' }, document.body);
const toolbar = element('div', { id: 'compare-toolbar', role: 'toolbar', 'aria-label': 'Compare' }, app);
element('span', { id: 'compare-title' }, toolbar, 'Compare models');
element('span', { class: 'spacer' }, toolbar);
const linkBox = custom('vscode-checkbox', { id: 'link-views', checked: '', title: 'Pan and zoom both graphs together, layers of equal depth side by side' }, 'Link views', toolbar);
const fitButton = custom('vscode-button', { id: 'fit-both', secondary: '' }, 'Fit both', toolbar);
const trainButton = custom('vscode-button', { id: 'train-both', title: 'Train both models on the same data, seed and batch order' }, 'Train both', toolbar);
const pauseButton = custom('vscode-button', { id: 'train-both-pause', secondary: '', disabled: '', title: 'Pause both runs (to measure their lesion study or take their loss landscapes)' }, 'Pause', toolbar);
const resumeButton = custom('vscode-button', { id: 'train-both-resume', secondary: '', disabled: '', title: 'Resume both runs' }, 'Resume', toolbar);
const stopButton = custom('vscode-button', { id: 'train-both-stop', secondary: '', disabled: '', title: 'Stop both runs' }, 'Stop', toolbar);
// Offered when PyTorch was asked for and cannot train the pair (not found, an ablation, an image folder).
const browserButton = custom('vscode-button', { id: 'train-both-browser', secondary: '', hidden: '', title: 'Train both models with TensorFlow.js in this view' }, 'Train both in the browser', toolbar);
const table = element('table', { id: 'metrics', 'aria-label': 'Comparison' }, app);
// Pair findings: a click highlights the nodes each sentence names, A's on the left and B's on the right.
const answers = new AnswersPanel('compare-answers', (nodes) => panels.forEach((panel, i) => panel.view?.highlight(nodes[i] ?? [])));
app.appendChild(answers.element);
const findings = new PairRunFindings(answers, () => sides);

function runHeldOut(side: SideIndex, accuracy: number): void {
  charts.setHeldOut(side, accuracy);
  findings.heldOut(side, accuracy);
}

function runGradients(side: SideIndex, points: DepthGradient[]): void {
  charts.setDepthGradients(side, points);
  findings.gradients(side, points);
}
const trainingStatus = element('div', { id: 'training-status', role: 'status', 'aria-live': 'polite' }, app);
// How the pair fits the memory budget (together, one after the other, a smaller batch, or refused): stays up while it trains.
const trainingPlan = element('div', { id: 'training-plan', role: 'note' }, app);
const trainingRoot = element('div', { id: 'training' }, app);
const charts = new TrainingCharts(trainingRoot);
// Its own container: the charts redraw #training's children wholesale.
const lesionRoot = element('div', { id: 'compare-lesion', hidden: '' }, app);
// Gradient by path length of both sides (Veit et al. 2016 Fig. 6 (b)), on one scale; shown once Train both starts.
const pathCharts = new ComparePathCharts(app);
pathCharts.element.hidden = true;
// Both sides' merge algebra side by side: at initialisation before any run, then from Train both's statistics.
const algebra = new CompareAlgebra(app);
const lesion = new CompareLesion(lesionRoot, pauseButton, resumeButton);
// The loss landscape of both paused runs side by side (the paper's Fig. 1 on the user's model and its ablation).
const landscape = new LandscapePanel(app);
let training: TrainBoth | null = null;
/** Train both was asked for and waits for a measurement at initialisation to let go of the workers; Stop came meanwhile. */
let [startingPair, stopWhenStarted] = [false, false];
/** The sides of the latest pair the host trains (PyTorch); kept after it ends, for experiments on the final weights. */
let hosted: [HostRun, HostRun] | null = null;

function setTrainingState(state: CompareTrainingState, message: string, offerBrowser = false): void {
  trainingStatus.textContent = message;
  trainingStatus.dataset.state = state;
  browserButton.toggleAttribute('hidden', !offerBrowser);
  trainButton.toggleAttribute('disabled', state === 'running');
  stopButton.toggleAttribute('disabled', state !== 'running');
}

/** Runs both models here (the host sent the texts, the data and side A's train section). */
function trainBoth(message: Extract<HostToCompare, { type: 'startTrainBoth' }>): void {
  if (training || startingPair) return; // one pair at a time; the button is disabled meanwhile
  charts.clear();
  findings.reset();
  landscape.clear();
  pathCharts.clear();
  const measurementEnded = algebra.start();
  algebra.setLabels([0, 1].map((i) => `${message.runs[i].run.model}${message.runs[i].withoutSkips ? ' without skips' : ''}`) as [string, string]);
  delete trainingRoot.dataset.tensors;
  trainingPlan.textContent = '';
  delete trainingPlan.dataset.mode;
  setTrainingState('running', 'Starting…');
  const graphs = [sides?.[0].graph ?? null, sides?.[1].graph ?? null] as const;
  // PyTorch: the host trains both sides (and gets an image folder decoded here).
  hosted = hostedPair(message, post);
  // Both engines measure the gradient by path length at the same steps (after step 1, then every 50).
  pathCharts.element.hidden = false;
  // The runs start once a measurement at initialisation has let go of the workers they use (hosted runs buffer their
  // events until then).
  startingPair = true;
  void measurementEnded.then(() => {
    startingPair = false;
    launchPair(message, graphs);
  });
}

/** Starts the pair's runs: in this page's workers, or as the host's hosted sides. */
function launchPair(message: Extract<HostToCompare, { type: 'startTrainBoth' }>, graphs: readonly [CompareSidePayload['graph'] | null, CompareSidePayload['graph'] | null]): void {
  // The first status line arrives while the constructor runs, before `run` is assigned.
  let run: TrainBoth | null = null;
  run = training = new TrainBoth({
    runs: message.runs,
    config: message.config,
    graphs: [graphs[0], graphs[1]],
    runtimeUrl: document.body.dataset.trainUri ?? '',
    wasmBase: document.body.dataset.wasmUri ?? '',
    onPoint: (side, point) => charts.addPoint(side, point),
    onDepthGradients: (side, _step, points) => runGradients(side, points),
    onStatistics: (side, statistics) => {
      if (training === run) algebra.update(side, statistics);
    },
    onHeldOut: (side, _step, accuracy) => runHeldOut(side, accuracy),
    onStatus: (text) => {
      if (run === null || training === run) trainingStatus.textContent = text;
    },
    ...lesion.callbacks(),
    onBothPaused: (send, held) => {
      const label = (side: 0 | 1): string => `${message.runs[side].run.model}${message.runs[side].withoutSkips ? ' without skips' : ''}`;
      landscape.setTargets(send && [{ label: `A: ${label(0)}`, send: send[0] }, { label: `B: ${label(1)}`, send: send[1] }], held);
    },
    onLandscape: (side, event) => landscape.onEvent(side, event),
    onPathGradients: (side, step, residualAdds, lengths) => {
      if (training === run) pathCharts.update(side, step, residualAdds, lengths);
    },
    onPlan: (plan) => {
      trainingPlan.textContent = plan.message;
      trainingPlan.dataset.mode = plan.mode;
      trainingPlan.dataset.batch = String(plan.batch);
    },
    host: hosted ? { runs: hosted, plan: message.plan ?? '' } : undefined,
  });
  const current = run;
  if (stopWhenStarted) current.stop();
  stopWhenStarted = false;
  lesionRoot.hidden = false;
  lesion.attach(current, message.runs);
  void current.done.then((end) => {
    training = null;
    charts.flush();
    algebra.flush();
    lesion.ended();
    const tensors = current.tensors();
    if (tensors !== null) trainingRoot.dataset.tensors = String(tensors);
    setTrainingState(end.state, end.message);
    post({ type: 'trainBothEnded', state: end.state, message: end.message });
  });
}
const columns = element('div', { id: 'sides' }, app);

interface SidePanel {
  root: HTMLElement;
  header: HTMLElement;
  ablation: HTMLElement;
  problems: HTMLElement;
  knob: HTMLSelectElement;
  matchButton: HTMLElement;
  suggestionText: HTMLElement;
  writeButton: HTMLElement;
  view: GraphView | null;
  stage: HTMLElement;
  tooltip: HTMLElement;
  minimap: SVGSVGElement;
  /** The suggestion on screen (what Write sends). */
  suggestion: { knob: string; values: number[] } | null;
  rendered: boolean;
}

function buildSide(index: SideIndex): SidePanel {
  const root = element('section', { class: 'side', 'data-side': String(index), 'aria-label': index === 0 ? 'Model A' : 'Model B' }, columns);
  const head = element('div', { class: 'side-head' }, root);
  const header = element('h2', { class: 'side-title' }, head, index === 0 ? 'A' : 'B');
  const ablation = custom('vscode-checkbox', { class: 'ablation', title: 'Remove every add/concat shortcut; the core re-infers the shapes' }, 'without skip connections', head);
  const problems = element('div', { class: 'problems', role: 'status' }, root);
  const match = element('div', { class: 'match' }, root);
  element('label', { class: 'knob-label' }, match, 'Size knob');
  const knob = element('select', { class: 'knob', 'aria-label': 'Size knob' }, match);
  const matchButton = custom('vscode-button', { class: 'match-button', secondary: '' }, 'Match the other’s parameters', match);
  const suggestionText = element('span', { class: 'suggestion', role: 'status' }, match);
  const writeButton = custom('vscode-button', { class: 'write-button', disabled: '' }, 'Write to file', match);
  // The graph lives in a shadow root: the graph page's ids (#graph, #minimap, #graph-content) and styles work as they are.
  const host = element('div', { class: 'graph-host' }, root);
  const shadow = host.attachShadow({ mode: 'open' });
  shadow.adoptedStyleSheets = [graphSheet];
  const stage = element('div', { id: 'stage' }, shadow);
  stage.style.position = 'absolute';
  stage.style.inset = '0';
  const minimap = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  minimap.id = 'minimap';
  minimap.setAttribute('aria-hidden', 'true');
  stage.appendChild(minimap);
  const tooltip = element('div', { id: 'tooltip', role: 'tooltip' }, stage);
  const panel: SidePanel = { root, header, ablation, problems, knob, matchButton, suggestionText, writeButton, view: null, stage, tooltip, minimap, suggestion: null, rendered: false };
  ablation.addEventListener('change', () => post({ type: 'setAblation', revision, side: index, withoutSkips: (ablation as unknown as { checked: boolean }).checked }));
  matchButton.addEventListener('click', () => {
    if (!knob.value) return;
    panel.suggestion = null;
    writeButton.setAttribute('disabled', '');
    suggestionText.textContent = 'Searching…';
    post({ type: 'requestSuggestion', revision, side: index, knob: knob.value });
  });
  writeButton.addEventListener('click', () => {
    if (!panel.suggestion || writeButton.hasAttribute('disabled')) return;
    post({ type: 'applySuggestion', revision, side: index, knob: panel.suggestion.knob, values: panel.suggestion.values });
  });
  return panel;
}

const panels: [SidePanel, SidePanel] = [buildSide(0), buildSide(1)];

function persist(): void {
  if (!sides) return;
  const state: CompareWebviewState = { sides: sides.map((s) => ({ uri: s.uri, model: s.model, withoutSkips: s.withoutSkips })) };
  vscode.setState(state);
}

// ── Rows by depth: both graphs share one row grid (see compare-rows.ts) ──
const aligner = new RowAligner((side) => void panels[side].view?.relayout());

/** Marks each drawn item with its row, so tests and styles can find items of equal depth. */
function markRows(index: SideIndex): void {
  const rendering = panels[index].view?.currentRendering;
  const depths = aligner.depthsOf(index);
  if (!rendering) return;
  for (const [id, item] of rendering.items) {
    const depth = depths?.get(id);
    if (depth === undefined) delete item.element.dataset.row;
    else item.element.dataset.row = String(depth);
  }
}

// ── Linked views ──
let syncing = false;
const linked = (): boolean => (linkBox as unknown as { checked: boolean }).checked;

function follow(from: SideIndex): void {
  const source = panels[from].view;
  const target = panels[other(from)].view;
  if (syncing || !linked() || !source || !target || !panels[0].rendered || !panels[1].rendered) return;
  syncing = true;
  const t = source.viewTransform;
  target.setViewTransform({ x: target.viewTransform.x, y: t.y, scale: t.scale });
  syncing = false;
}

/** After both first drawings: one zoom for both (the smaller), both at their top, each centred across. */
function alignStart(): void {
  const [a, b] = panels.map((p) => p.view);
  if (!a || !b) return;
  const scale = Math.min(a.viewTransform.scale, b.viewTransform.scale);
  syncing = true;
  for (const panel of panels) {
    const rendering = panel.view!.currentRendering;
    if (!rendering) continue;
    const width = panel.stage.getBoundingClientRect().width;
    const drawn = rendering.width * scale;
    panel.view!.setViewTransform({ scale, x: drawn < width ? (width - drawn) / 2 : 12, y: 12 });
  }
  syncing = false;
}

/**
 * Fit both: each side fitted on its own would get its own zoom, and the linked views would then hand one
 * side the other's zoom at its own offset (side A ended off screen). Both take the smaller fitting zoom,
 * each centred across its pane, at the same height so rows of equal depth stay level.
 */
function fitBoth(): void {
  syncing = true;
  for (const panel of panels) panel.view?.fit();
  const fitted = panels.filter((p) => p.view?.currentRendering).map((p) => p.view!.viewTransform);
  if (fitted.length > 0) {
    const scale = Math.min(...fitted.map((t) => t.scale));
    const tallest = Math.max(...panels.map((p) => p.view?.currentRendering?.height ?? 0));
    const height = Math.min(...panels.map((p) => p.stage.getBoundingClientRect().height));
    const y = Math.max(12, (height - tallest * scale) / 2);
    for (const panel of panels) {
      const rendering = panel.view?.currentRendering;
      if (!rendering) continue;
      const width = panel.stage.getBoundingClientRect().width;
      panel.view!.setViewTransform({ scale, x: (width - rendering.width * scale) / 2, y });
    }
  }
  syncing = false;
}

// ── Host messages ──
function showSide(index: SideIndex, side: CompareSidePayload): void {
  const panel = panels[index];
  panel.root.dataset.model = side.model;
  panel.header.textContent = `${index === 0 ? 'A' : 'B'}: ${side.label} · ${formatCount(BigInt(side.params))} params · ${side.file}`;
  const box = panel.ablation as unknown as { checked: boolean };
  if (box.checked !== side.withoutSkips) box.checked = side.withoutSkips;
  panel.problems.replaceChildren();
  if (side.problems.length > 0) {
    element('div', { class: 'problems-title' }, panel.problems, side.withoutSkips ? 'Without skip connections these no longer fit:' : 'Problems:');
    for (const p of side.problems.slice(0, 20)) element('div', { class: 'problem', 'data-code': p.code }, panel.problems, `Line ${p.line}:${p.column}: ${p.message}`);
  } else if (side.withoutSkips) element('div', { class: 'ok' }, panel.problems, 'Every shape still fits without the skip connections.');
  const selected = panel.knob.value;
  panel.knob.replaceChildren(...side.knobs.map((k) => {
    const option = document.createElement('option');
    option.value = k.id;
    option.textContent = `${k.param} of ${k.block} (${k.values.join(', ')})`;
    return option;
  }));
  if (side.knobs.some((k) => k.id === selected)) panel.knob.value = selected;
  panel.knob.disabled = side.knobs.length === 0;
  panel.matchButton.toggleAttribute('disabled', side.knobs.length === 0);
  panel.matchButton.textContent = sides ? `Match ${sides[other(index)].label}’s parameters` : 'Match the other’s parameters';
  panel.suggestion = null;
  panel.writeButton.setAttribute('disabled', '');
  if (side.knobs.length === 0) panel.suggestionText.textContent = side.withoutSkips ? 'Turn the ablation off to resize this model.' : side.graph ? 'No size knob: no block parameter is written as a number.' : '';
  else panel.suggestionText.textContent = '';
  if (!side.graph) aligner.clear(index);
  if (side.graph && panel.view) {
    const wasRendered = panel.rendered;
    void panel.view.update(side.graph).then((timing) => {
      if (!timing) return;
      panel.rendered = true;
      if (!wasRendered && panels[0].rendered && panels[1].rendered) alignStart();
    });
  }
}

function showTable(message: Extract<HostToCompare, { type: 'compare' }>): void {
  const [a, b] = message.sides;
  const head = element('thead');
  const headRow = element('tr', {}, head);
  for (const text of ['', `A: ${a.label}`, `B: ${b.label}`, 'B / A']) element('th', { scope: 'col' }, headRow, text);
  const body = element('tbody');
  for (const row of message.rows) {
    const tr = element('tr', { 'data-metric': row.metric }, body);
    element('th', { scope: 'row' }, tr, row.metric);
    for (const [cls, text] of [['a', row.a], ['b', row.b], ['ratio', row.ratio]]) element('td', { class: cls }, tr, text);
  }
  if (message.rows.length === 0) element('td', { colspan: '4', class: 'empty' }, element('tr', {}, body), 'Both models must analyse without errors to be compared.');
  table.replaceChildren(head, body);
}

const percent = (difference: number): string => `${difference >= 0 ? '+' : '−'}${Math.abs(difference * 100).toFixed(1)}%`;

function handle(message: HostToCompare): void {
  if (message.type === 'compare') {
    if (message.revision < revision) return;
    revision = message.revision;
    sides = message.sides;
    message.sides.forEach((side, i) => showSide(i as SideIndex, side));
    showTable(message);
    answers.setFindings(message.findings ?? []);
    const colours = seriesColours();
    answers.setPaths(message.sides.flatMap((side, i) => (side.graph?.answers ? [{ label: `${i === 0 ? 'A' : 'B'}: ${side.label}`, paths: side.graph.answers.paths, colour: colours[i] }] : [])));
    charts.setLabels([message.sides[0].label, message.sides[1].label], [Number(message.sides[0].params), Number(message.sides[1].params)]);
    document.body.dataset.revision = String(revision);
    persist();
    return;
  }
  if (message.type === 'trainBothEvent') {
    // Run ids, not revisions: an edit ends the pair, and its last events still arrive after the new revision.
    const side = hosted?.[message.side];
    if (side?.id === message.run) side.receive(message.line);
    return;
  }
  if (message.revision < revision) return; // about an older state of the files
  switch (message.type) {
    case 'suggestion': {
      const panel = panels[message.side];
      const s = message.suggestion;
      if (!s) {
        panel.suggestionText.textContent = message.error;
        return;
      }
      const target = sides ? sides[other(message.side)].label : 'the other model';
      const [, param] = s.knob.split('.');
      panel.suggestionText.textContent = `${param} ${s.current.join(', ')} → ${s.values.join(', ')}: ${formatCount(BigInt(s.params))} params, ${percent(s.difference)} from ${target}’s ${formatCount(BigInt(s.target))}${s.withinTolerance ? ' (within 5%)' : ' (closest possible; not within 5%)'}`;
      panel.suggestion = { knob: s.knob, values: s.values };
      panel.writeButton.toggleAttribute('disabled', false);
      return;
    }
    case 'applied':
      panels[message.side].suggestionText.textContent = message.message;
      if (message.ok) panels[message.side].writeButton.setAttribute('disabled', '');
      return;
    case 'trainingState':
      if (message.state !== 'running') charts.flush();
      if (!training) setTrainingState(message.state, message.message, message.offerBrowser === true);
      return;
    case 'startTrainBoth':
      trainBoth(message);
      return;
    case 'initialAlgebra': // before any run only: Train both's own statistics take over from its start
      if (!training) algebra.measureInitial(message, document.body.dataset.trainUri ?? '', document.body.dataset.wasmUri ?? '');
      return;
    case 'trainingPoint':
      charts.addPoint(message.side, message.point);
      return;
    case 'depthGradients':
      runGradients(message.side, message.points);
      return;
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const result = validateCompareHostMessage(event.data);
  if (!result.ok) {
    post({ type: 'log', level: 'warn', message: `ignored a malformed message: ${result.error}` });
    return;
  }
  handle(result.message);
});

async function start(): Promise<void> {
  const workerUrl = document.body.dataset.workerUri;
  if (!workerUrl) throw new Error('the page names no layout worker');
  // One layout worker per side: a client runs one layout at a time and drops superseded requests.
  const workers = await Promise.all([startLayoutWorker(workerUrl), startLayoutWorker(workerUrl)]);
  panels.forEach((panel, i) => {
    const index = i as SideIndex;
    panel.view = new GraphView(panel.stage, panel.tooltip, panel.minimap, new LayoutClient(workers[i]), {
      reveal: (id, range) => post({ type: 'reveal', revision, side: index, id, range }),
      stateChanged: () => follow(index),
      arrange: (visible, layout, direction) => aligner.arrange(index, visible, layout, direction),
    });
    panel.stage.addEventListener('graph-rendered', () => markRows(index));
  });
  fitButton.addEventListener('click', fitBoth);
  trainButton.addEventListener('click', () => {
    if (training || trainButton.hasAttribute('disabled')) return;
    setTrainingState('running', 'Asking the editor for the data…');
    post({ type: 'trainBoth', revision });
  });
  browserButton.addEventListener('click', () => {
    if (training) return;
    setTrainingState('running', 'Asking the editor for the data…');
    post({ type: 'trainBoth', revision, engine: 'browser' });
  });
  stopButton.addEventListener('click', () => {
    if (!training && !startingPair) return;
    stopButton.setAttribute('disabled', '');
    trainingStatus.textContent = 'Stopping…';
    // Asked while the pair waits for the workers: its runs stop as they start.
    if (training) training.stop();
    else stopWhenStarted = true;
  });
  post({ type: 'ready', protocol: COMPARE_PROTOCOL_VERSION });
}

start().catch((error: unknown) => {
  trainingStatus.textContent = `The compare view could not start: ${error instanceof Error ? error.message : String(error)}`;
  post({ type: 'log', level: 'error', message: trainingStatus.textContent });
});

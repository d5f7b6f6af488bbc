/**
 * The graph webview's entry point: builds the page, talks to the extension host through the protocol
 * (every incoming message validated and checked for staleness), and drives the GraphView.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { formatBytes, formatCount, formatMacs } from '../../src/core/memory';
import { type DiagnosticsSummary, type ExportFormat, type ExportTheme, type GraphViewAction, type HostToWebview, type LayoutDirection, PROTOCOL_VERSION, type WebviewState, type WebviewToHost } from '../../src/protocol/messages';
import { isRecord } from '../../src/protocol/schema';
import { StalenessFilter, validateHostMessage } from '../../src/protocol/validate';
import { GRAPH_CSS } from '../../src/drawing/graph-styles';
import css from '../shared/styles.css';
import { buildSvgText, svgToPngBase64 } from './export';
import { wrapDrawing } from '../../src/drawing/wrap';
import { GraphView } from './graph-view';
import { LayoutClient, startLayoutWorker } from './layout-client';
import { paintStatistics, registerTrainingController, trainingController } from '../training/hook';
import { type TrainingReportDetail, TrainingUi } from '../training/training-ui';
import { readPanelState, TrainingPanelSize } from '../training/panel-size';
import { runFindings } from '../../src/core/findings';
import { depthGradients } from '../training/depth-gradients';
import { ANSWERS_CSS, AnswersPanel } from '../shared/answers-panel';
import { PLOT_CSS, seriesColours } from '../shared/plot-theme';

type Outgoing = WebviewToHost extends infer M ? (M extends { uri: string; version: number } ? Omit<M, 'uri' | 'version'> : never) : never;

const vscode = acquireVsCodeApi();
const body = document.body;
const sheet = new CSSStyleSheet();
sheet.replaceSync(`${css}\n${GRAPH_CSS}`);
const answersSheet = new CSSStyleSheet();
answersSheet.replaceSync(`${PLOT_CSS}\n${ANSWERS_CSS}`);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet, answersSheet];

const saved = vscode.getState() as Partial<WebviewState> | undefined;
let uri = saved?.uri || body.dataset.uri || '';
let model = saved?.model || body.dataset.model || '';
let version = 0;
const filter = new StalenessFilter();

function post(message: Outgoing): void {
  vscode.postMessage({ ...message, uri, version });
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, parent?: Element): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  parent?.appendChild(el);
  return el;
}

function custom(tag: string, attributes: Record<string, string>, label: string, parent: Element): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  el.textContent = label;
  parent.appendChild(el);
  return el;
}

// ── Page ──
const app = element('div', { id: 'app' }, body);
const toolbar = element('div', { id: 'toolbar', role: 'toolbar', 'aria-label': 'Graph' }, app);
const modelSelect = custom('vscode-single-select', { id: 'model-select', 'aria-label': 'Model' }, '', toolbar);
modelSelect.style.display = 'none';
const summary = element('span', { id: 'summary' }, toolbar);
element('span', { class: 'spacer' }, toolbar);
// The panel's title bar holds Train and its overflow menu the other actions (direction, blocks, exports,
// Compare, PyTorch): the page keeps only the two fits one reaches for while reading, as secondary buttons.
const viewGroup = element('span', { class: 'group', role: 'group', 'aria-label': 'View' }, toolbar);
const fitButton = custom('vscode-button', { id: 'fit', secondary: '', title: 'Fit the whole graph (0)' }, 'Fit', viewGroup);
const fitAcrossButton = custom('vscode-button', { id: 'fit-across', secondary: '' }, 'Fit width', viewGroup);

/** "Fit width" becomes "Fit height" left-to-right. */
function showDirection(direction: 'down' | 'right'): void {
  body.dataset.direction = direction;
  fitAcrossButton.textContent = direction === 'down' ? 'Fit width' : 'Fit height';
  fitAcrossButton.title = direction === 'down' ? 'Fit the graph’s width, from its start' : 'Fit the graph’s height, from its start';
}
showDirection('down');
const status = element('div', { id: 'status', role: 'status', 'aria-live': 'polite' }, app);
const training = new TrainingUi({
  parent: app,
  post,
  rendering: () => view?.currentRendering ?? null,
  runtimeUrl: body.dataset.trainUri ?? '',
  wasmBase: body.dataset.wasmUri ?? '',
});
registerTrainingController(training);
const trainingSize = new TrainingPanelSize(training.root, training.root.querySelector<HTMLElement>('.training-row')!, readPanelState(saved?.training), () => persist());
// A heat-map cell names the layer it reads into: show that node on the graph.
app.addEventListener('statistics-reveal', (event) => {
  const detail = (event as CustomEvent<{ id?: unknown }>).detail;
  if (typeof detail?.id === 'string') view?.highlight([detail.id]);
});
// What the run measured feeds the answer panel's run findings (accuracy per parameter, first/last gradient).
const run: { accuracy: number | null; statistics: TrainingReportDetail['statistics'] | null } = { accuracy: null, statistics: null };
app.addEventListener('training-report', (event) => {
  const detail = (event as CustomEvent<TrainingReportDetail>).detail;
  if (detail.accuracy !== undefined) run.accuracy = detail.accuracy;
  if (detail.statistics) run.statistics = detail.statistics;
  const payload = view?.currentPayload;
  if (!payload) return;
  const gradients = run.statistics ? depthGradients(payload, run.statistics) : [];
  answers.setRunFindings(runFindings([{ label: payload.model, params: BigInt(payload.totals.params), heldOutAccuracy: run.accuracy, gradients }]));
});
// The page is going away (panel closed, window reloading): stop the run so the engine frees its tensors.
window.addEventListener('pagehide', () => training.command('stop'));
const answers = new AnswersPanel('answers', (nodes) => view?.highlight(nodes[0] ?? []));
app.appendChild(answers.element);
const stage = element('div', { id: 'stage' }, app);
const empty = element('div', { id: 'empty' }, stage);
empty.textContent = 'Waiting for the model…';
const legend = element('div', { id: 'legend', 'aria-label': 'Legend' }, stage);
const minimap = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
minimap.id = 'minimap';
minimap.setAttribute('aria-hidden', 'true');
stage.appendChild(minimap);
const tooltip = element('div', { id: 'tooltip', role: 'tooltip' }, stage);
buildLegend(legend);

/** What each mark of the drawing means; one entry per kind of mark, each kept on one line. */
function buildLegend(parent: HTMLElement): void {
  const entry = (shape: string, label: string, title: string): void => {
    const span = element('span', { class: 'entry', title }, parent);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('width', '26');
    svg.setAttribute('height', '14');
    svg.setAttribute('aria-hidden', 'true');
    svg.classList.add('graph-content');
    svg.innerHTML = shape; // constant markup from this file, no data
    span.append(svg, ` ${label}`);
  };
  entry('<g class="node merge-add"><ellipse class="shape" cx="13" cy="7" rx="12" ry="6"/></g>', 'add', 'add: element-wise sum of inputs with the same channels (a residual connection)');
  entry(
    '<g class="node merge-concat"><rect class="shape" x="1" y="1" width="24" height="12" rx="2"/><rect class="seg-0" x="4" y="4" width="10" height="6"/><rect class="seg-1" x="14" y="4" width="5" height="6"/><rect class="seg-2" x="19" y="4" width="4" height="6"/></g>',
    'concat: a colour per source, width by its channels',
    'concat: channels stacked; the bar has one segment per input source, its width proportional to the channels that source contributes',
  );
  entry(
    '<g class="glyph"><rect class="frame" x="4" y="1" width="16" height="12"/><rect class="cell input" x="4.5" y="1.5" width="3" height="3"/><rect class="cell input" x="4.5" y="5.5" width="3" height="3"/><rect class="cell" x="8.5" y="5.5" width="3" height="3"/><rect class="cell input" x="4.5" y="9.5" width="3" height="3"/><rect class="cell" x="8.5" y="9.5" width="3" height="3"/><rect class="cell" x="12.5" y="9.5" width="3" height="3"/></g>',
    'dense block: row reads column',
    'dense block glyph: row ℓ is a layer, column s a source (first column, in the input colour: the block input, then each earlier layer); a filled cell means layer ℓ reads the feature maps of s',
  );
  entry('<path class="edge arc" d="M2,3 L20,3 L20,11 L6,11" stroke-width="2"/>', 'dense edge', 'dense edge: a layer reads an earlier layer’s feature maps through the concatenations (runs beside the block)');
  entry('<path class="edge" d="M1,7 L25,7" stroke-width="4"/>', 'width = channels', 'edge width grows with the number of channels it carries');
}

// ── Graph ──
let view: GraphView | null = null;

function persist(): void {
  const state: WebviewState = { uri, model, ...(view?.state ?? { view: null, collapsed: {}, selected: null }), training: trainingSize.state };
  vscode.setState(state);
}

function showDiagnostics(diagnostics: DiagnosticsSummary): void {
  const hasGraph = view?.currentPayload != null;
  if (diagnostics.errors > 0) {
    status.textContent = `${diagnostics.errors} error${diagnostics.errors === 1 ? '' : 's'}${hasGraph ? ' — showing the last good graph' : ''}. Line ${diagnostics.firstErrorLine}: ${diagnostics.firstError}`;
    status.classList.add('visible');
    if (!hasGraph) empty.textContent = 'The file has errors; the graph appears once it analyses cleanly.';
  } else {
    status.textContent = '';
    status.classList.remove('visible');
  }
  body.dataset.errors = String(diagnostics.errors);
}

function showGraphSummary(): void {
  const payload = view?.currentPayload;
  if (!payload) return;
  summary.textContent = `${payload.model} · ${formatCount(BigInt(payload.totals.params))} params · ${formatMacs(BigInt(payload.totals.macs))}MACs · ${formatBytes(BigInt(payload.totals.activationBytes))} activations/sample`;
  if (payload.models.length > 1) {
    modelSelect.replaceChildren(
      ...payload.models.map((name) => {
        const option = document.createElement('vscode-option');
        option.textContent = name;
        option.setAttribute('value', name);
        if (name === payload.model) option.setAttribute('selected', '');
        return option;
      }),
    );
    modelSelect.style.display = '';
  } else modelSelect.style.display = 'none';
  empty.textContent = '';
  showAnswers();
}

function showAnswers(): void {
  const payload = view?.currentPayload;
  if (!payload?.answers) return;
  answers.setFindings(payload.answers.findings);
  answers.setPaths([{ label: payload.model, paths: payload.answers.paths, colour: seriesColours()[0] }]);
}

async function exportGraph(format: ExportFormat, theme: ExportTheme, wrap: boolean): Promise<string> {
  const rendering = view?.currentRendering;
  if (!rendering) throw new Error('there is no graph to export yet');
  const drawing = wrap ? wrapDrawing(rendering.drawing) : rendering.drawing;
  const svgText = buildSvgText(drawing, theme);
  if (format === 'svg') return svgText;
  return svgToPngBase64(svgText, drawing.width + 32, drawing.height + 32);
}

async function exportAndSend(format: ExportFormat, theme: ExportTheme, wrap: boolean, requestId: number): Promise<void> {
  try {
    post({ type: 'exportResult', requestId, format, data: await exportGraph(format, theme, wrap) });
  } catch (error) {
    post({ type: 'log', level: 'error', message: `export failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

function layOut(direction: LayoutDirection): void {
  showDirection(direction);
  void view?.setDirection(direction);
}

// The host learns the direction from drawings, not from requests: a toggle overtaken by an edit still
// reports the direction that ends up on screen.
let reportedDirection: LayoutDirection | null = null;
function reportDirection(): void {
  const direction = view?.layoutDirection;
  if (!direction || direction === reportedDirection) return;
  reportedDirection = direction;
  post({ type: 'viewState', direction });
}

/** One action of the title bar's menu or the in-page buttons; both come here, so they behave alike. */
function runViewAction(action: GraphViewAction): void {
  switch (action) {
    case 'fit':
      view?.fit();
      break;
    case 'fitAcross':
      view?.fitAcross();
      break;
    case 'toggleDirection':
      layOut(view?.layoutDirection === 'right' ? 'down' : 'right');
      break;
    case 'expandAll':
    case 'collapseAll':
      void view?.setAllCollapsed(action === 'collapseAll');
      break;
  }
}

function handle(message: HostToWebview): void {
  if (message.type === 'init') {
    uri = message.uri;
    filter.accept(message);
    version = message.version;
    layOut(message.settings.direction);
    showDiagnostics(message.diagnostics);
    if (message.graph) {
      model = message.graph.model;
      void view?.update(message.graph).then(showGraphSummary);
    }
    persist();
    return;
  }
  if (!filter.accept(message, uri)) return; // another document or an older version
  version = message.version;
  if (message.type === 'graph' || message.type === 'status') training.documentChanged(message.version);
  switch (message.type) {
    case 'graph':
      model = message.graph.model;
      showDiagnostics(message.diagnostics);
      void view?.update(message.graph).then(showGraphSummary);
      break;
    case 'status':
      showDiagnostics(message.diagnostics);
      break;
    case 'settings':
      layOut(message.settings.direction);
      break;
    case 'highlight':
      view?.highlight(message.ids);
      break;
    case 'exportRequest':
      void exportAndSend(message.format, message.theme, message.wrap === true, message.requestId);
      break;
    case 'viewAction':
      runViewAction(message.action);
      break;
    case 'train':
      if (trainingController()) trainingController()!.command(message.action);
      else post({ type: 'trainingEnded', reason: 'error', message: 'Training is not available in this build of the graph view.' });
      break;
    case 'startTraining':
      [run.accuracy, run.statistics] = [null, null];
      answers.setRunFindings([]);
      void training.start(message.run, message.version);
      break;
    case 'trainingRefused':
      training.refused(message.message, message.offerBrowser === true);
      break;
    case 'trainingEngine':
      training.engine(message.info);
      break;
    case 'trainingEvent':
      training.hostEvent(message.run, message.line);
      break;
    case 'trainingStatistics':
      if (view?.currentRendering) paintStatistics(view.currentRendering, message.layers);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const result = validateHostMessage(event.data);
  if (!result.ok) {
    post({ type: 'log', level: 'warn', message: `ignored a malformed message: ${result.error}` });
    // A graph the view cannot read must not leave it blank or stale without a word.
    const type = isRecord(event.data) ? event.data.type : undefined;
    if (type === 'init' || type === 'graph') {
      status.textContent = `This view could not read the graph the extension sent, so it is not updated (${result.error}). Please report this with the .skipnet file.`;
      status.classList.add('visible');
    }
    return;
  }
  handle(result.message);
});

async function start(): Promise<void> {
  const workerUrl = body.dataset.workerUri;
  if (!workerUrl) throw new Error('the page names no layout worker');
  const layout = new LayoutClient(await startLayoutWorker(workerUrl));
  stage.addEventListener('graph-rendered', () => {
    training.rendered();
    reportDirection();
  });
  view = new GraphView(stage, tooltip, minimap, layout, {
    reveal: (id, range) => post({ type: 'reveal', id, range }),
    stateChanged: persist,
  });
  if (saved) view.restore({ view: saved.view ?? null, collapsed: saved.collapsed ?? {}, selected: saved.selected ?? null });
  fitButton.addEventListener('click', () => runViewAction('fit'));
  fitAcrossButton.addEventListener('click', () => runViewAction('fitAcross'));
  modelSelect.addEventListener('change', () => {
    const value = (modelSelect as unknown as { value: string }).value;
    if (value && value !== model) post({ type: 'selectModel', model: value });
  });
  post({ type: 'ready', protocol: PROTOCOL_VERSION });
}

start().catch((error: unknown) => {
  empty.textContent = `The graph view could not start: ${error instanceof Error ? error.message : String(error)}`;
  post({ type: 'log', level: 'error', message: empty.textContent });
});

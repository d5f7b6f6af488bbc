/**
 * The answer panel of the graph view and of Compare: the core's findings as a list of plain sentences
 * (each a button: clicking it highlights the nodes it speaks of, and brings them into view) and the exact
 * input → output path counts by length as a bar chart (Veit, Wilber & Belongie 2016, section 4: a network
 * with n skip-connected blocks is an ensemble of 2^n paths of different lengths). All text is set with
 * textContent.
 */
import type { FindingPayload, PathLengthPayload } from '../../src/protocol/payload';
import { chart, Plot } from './plot-theme';

export const ANSWERS_CSS = `
.answers { border-bottom: 1px solid var(--vscode-panel-border, #5a5a5a); padding: 2px 8px; max-height: 45vh; overflow: auto; }
.answers > summary { cursor: pointer; padding: 2px 0; font-weight: 600; }
.answers .findings { margin: 4px 0; padding-left: 20px; }
.answers .findings li { margin: 2px 0; }
.answers .answers-body { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 24px; }
.answers .answers-text { flex: 1 1 420px; min-width: 0; }
.answers .finding { all: unset; display: block; text-align: left; cursor: pointer; color: var(--vscode-foreground, #cccccc); line-height: 1.4; }
.answers .finding:hover { color: var(--vscode-textLink-activeForeground, #3794ff); text-decoration: underline; }
.answers .finding:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
.answers .finding.active { color: var(--vscode-textLink-foreground, #3794ff); }
.answers .group-title { margin: 6px 0 0; font-size: 11px; text-transform: uppercase; color: var(--vscode-descriptionForeground, #9d9d9d); }
.answers .answers-charts { flex: 0 1 auto; display: flex; flex-wrap: wrap; gap: 16px; }
`;

export interface PathSeries {
  label: string;
  paths: PathLengthPayload[];
  colour: string;
}

/** log10 of a positive count given as decimal digits, good to ~15 significant digits at any size. */
export function log10Digits(digits: string): number {
  const lead = digits.slice(0, 15);
  return Math.log10(Number(lead)) + (digits.length - lead.length);
}

/** "1,234,567" from decimal digits. */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * One bar per path length. Counts that all fit a double exactly are drawn as they are; otherwise the bars
 * are log10(count) and the axis says so. Each bar's tooltip holds the exact count.
 */
export function pathsChart(id: string, series: PathSeries): HTMLElement {
  const total = series.paths.reduce((sum, p) => sum + BigInt(p.count), 0n);
  const exact = series.paths.every((p) => BigInt(p.count) <= BigInt(Number.MAX_SAFE_INTEGER));
  const data = series.paths.map((p) => ({ length: p.length, value: exact ? Number(p.count) : log10Digits(p.count), title: `${p.length} weighted layers: ${groupDigits(p.count)} path${p.count === '1' ? '' : 's'}` }));
  const lengths = series.paths.map((p) => p.length);
  const note =
    total === 0n
      ? 'No path joins the input to the output.'
      : `${groupDigits(total.toString())} path${total === 1n ? '' : 's'} in all, ${Math.min(...lengths)}–${Math.max(...lengths)} weighted layers long${exact ? '' : '; bars are log₁₀ of the count'}; hover a bar for its exact count.`;
  const figure = chart(
    { id, title: `${series.label}: input → output paths by length`, note },
    {
      width: Math.max(240, Math.min(640, 40 + 22 * data.length)),
      height: 170,
      x: { type: 'band', label: 'weighted layers on the path', domain: lengths, tickFormat: (d: number) => String(d) },
      y: { label: exact ? 'paths' : 'log₁₀ paths', grid: true, nice: true, ...(exact ? {} : { tickFormat: (d: number) => `1e${d}` }) },
      marks: [Plot.barY(data, { x: 'length', y: 'value', fill: series.colour, title: 'title', className: 'paths-bars' }), Plot.ruleY([0])],
    },
  );
  figure.dataset.lengths = lengths.join(',');
  figure.dataset.counts = series.paths.map((p) => p.count).join(',');
  return figure;
}

export class AnswersPanel {
  readonly element: HTMLDetailsElement;
  private readonly list: HTMLOListElement;
  private readonly runList: HTMLOListElement;
  private readonly runTitle: HTMLElement;
  private readonly charts: HTMLElement;

  /** `highlight(nodes)`: nodes[i] are the ids of model i (0 in the graph view; 0 = A, 1 = B in Compare). */
  constructor(
    id: string,
    private readonly highlight: (nodes: string[][]) => void,
  ) {
    this.element = document.createElement('details');
    this.element.id = id;
    this.element.className = 'answers';
    const summary = document.createElement('summary');
    summary.textContent = 'Answers: findings and paths';
    this.list = document.createElement('ol');
    this.list.className = 'findings';
    this.runTitle = document.createElement('h4');
    this.runTitle.className = 'group-title';
    this.runTitle.textContent = 'From the training runs';
    this.runTitle.hidden = true;
    this.runList = document.createElement('ol');
    this.runList.className = 'findings run-findings';
    this.charts = document.createElement('div');
    this.charts.className = 'answers-charts';
    // Sentences on the left, the path charts beside them (below them in a narrow panel).
    const body = document.createElement('div');
    body.className = 'answers-body';
    const text = document.createElement('div');
    text.className = 'answers-text';
    text.append(this.list, this.runTitle, this.runList);
    body.append(text, this.charts);
    this.element.append(summary, body);
  }

  /** Sentences computed from the models (replace the previous ones). */
  setFindings(findings: readonly FindingPayload[]): void {
    this.list.replaceChildren(...findings.map((f, i) => this.item(f, `finding-${i}`)));
  }

  /** Sentences from training runs; an empty list hides the section. */
  setRunFindings(findings: readonly FindingPayload[]): void {
    this.runTitle.hidden = findings.length === 0;
    this.runList.replaceChildren(...findings.map((f, i) => this.item(f, `run-finding-${i}`)));
  }

  /** One path-length chart per series (one per model). */
  setPaths(series: readonly PathSeries[]): void {
    this.charts.replaceChildren(...series.map((s, i) => pathsChart(series.length === 1 ? 'paths-chart' : `paths-chart-${i}`, s)));
  }

  private item(finding: FindingPayload, id: string): HTMLLIElement {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.id = id;
    button.className = 'finding';
    button.dataset.topic = finding.topic;
    button.dataset.nodes = JSON.stringify(finding.nodes);
    button.dataset.values = JSON.stringify(finding.values);
    button.textContent = finding.text;
    const named = finding.nodes.reduce((n, ids) => n + ids.length, 0);
    button.title = named === 0 ? 'Speaks of the whole model' : `Click to highlight the ${named} node${named === 1 ? '' : 's'} it speaks of`;
    button.addEventListener('click', () => {
      for (const other of this.element.querySelectorAll('.finding.active')) other.classList.remove('active');
      button.classList.add('active');
      this.highlight(finding.nodes);
    });
    li.appendChild(button);
    return li;
  }
}

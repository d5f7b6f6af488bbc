/**
 * The training panel's size above the graph. A toggle at the head of its control row folds it to that row
 * (the numbers stay in view, the charts go), and a handle under it (a separator: drag it, or focus it and use
 * the arrow keys, Home and End) sets its height in CSS pixels; the charts take the height left to them
 * (`--train-chart-height`, then CHART_RESIZE_EVENT: each chart draws its plot again at that height, so its text
 * and strokes keep their size instead of the drawing being scaled up). Both
 * travel in the webview state, so a restored or reopened view keeps them.
 */

import { CHART_RESIZE_EVENT } from './charts';

/** What the webview state keeps of the panel; `height` null: its natural height, at most MAX_DEFAULT_SHARE of the window. */
export interface TrainingPanelState {
  collapsed: boolean;
  height: number | null;
}

/** The smallest height a drag leaves: the control row, a line of text and a short chart. */
export const MIN_HEIGHT = 120;
/** The largest share of the window the panel may take, so the graph always keeps some room. */
const MAX_SHARE = 0.8;
/** One arrow-key press, in CSS pixels (Shift: four times as much). */
const KEY_STEP = 16;
/** Chart heights: the Plot charts are drawn 120 px tall; they scale between these. */
const MIN_CHART = 60;
const MAX_CHART = 360;

/** A restored state, whatever the stored value was: bad fields fall back to the defaults. */
export function readPanelState(value: unknown): TrainingPanelState {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const height = typeof record.height === 'number' && Number.isFinite(record.height) && record.height > 0 ? Math.round(record.height) : null;
  return { collapsed: record.collapsed === true, height };
}

export class TrainingPanelSize {
  readonly toggle: HTMLElement;
  readonly handle: HTMLDivElement;
  private collapsed: boolean;
  private height: number | null;

  /**
   * `root` is the panel (#training), `header` its control row (the toggle goes first in it); `changed` is called
   * after every change the user makes, to store the state.
   */
  constructor(
    private readonly root: HTMLElement,
    header: HTMLElement,
    initial: TrainingPanelState,
    private readonly changed: () => void,
  ) {
    this.collapsed = initial.collapsed;
    this.height = initial.height;
    this.toggle = document.createElement('vscode-button');
    this.toggle.id = 'train-toggle';
    this.toggle.setAttribute('secondary', '');
    this.toggle.setAttribute('aria-controls', 'training');
    header.prepend(this.toggle);
    this.toggle.addEventListener('click', () => {
      this.setCollapsed(!this.collapsed);
      this.changed();
    });
    this.handle = document.createElement('div');
    this.handle.className = 'training-resize';
    this.handle.tabIndex = 0;
    this.handle.setAttribute('role', 'separator');
    this.handle.setAttribute('aria-orientation', 'horizontal');
    this.handle.setAttribute('aria-label', 'Training panel height');
    this.handle.title = 'Drag, or use the arrow keys, to resize the training panel';
    root.after(this.handle);
    this.handle.addEventListener('keydown', (event) => this.onKey(event));
    this.handle.addEventListener('pointerdown', (event) => this.onPointerDown(event));
    window.addEventListener('resize', () => this.apply());
    // The charts appear when a run starts (they are hidden while idle): size them then.
    new MutationObserver(() => this.sizeCharts()).observe(root, { attributes: true, attributeFilter: ['data-state'] });
    this.apply();
  }

  get state(): TrainingPanelState {
    return { collapsed: this.collapsed, height: this.height };
  }

  setCollapsed(collapsed: boolean): void {
    this.collapsed = collapsed;
    this.apply();
  }

  /** Sets the height in CSS pixels (clamped to MIN_HEIGHT and MAX_SHARE of the window), or null for the natural one. */
  setHeight(height: number | null): void {
    this.height = height === null ? null : this.clamp(height);
    this.apply();
  }

  private maxHeight(): number {
    return Math.max(MIN_HEIGHT, Math.floor(window.innerHeight * MAX_SHARE));
  }

  private clamp(height: number): number {
    return Math.round(Math.min(this.maxHeight(), Math.max(MIN_HEIGHT, height)));
  }

  private apply(): void {
    this.root.classList.toggle('collapsed', this.collapsed);
    this.toggle.textContent = this.collapsed ? 'Show charts' : 'Hide charts';
    this.toggle.title = this.collapsed ? 'Show the training charts and panels' : 'Fold the training panel to its control row';
    this.toggle.setAttribute('aria-expanded', String(!this.collapsed));
    this.handle.hidden = this.collapsed;
    this.root.classList.toggle('sized', this.height !== null && !this.collapsed);
    if (this.height === null || this.collapsed) this.root.style.removeProperty('height');
    else this.root.style.height = `${this.clamp(this.height)}px`;
    this.sizeCharts();
    const now = Math.round(this.root.getBoundingClientRect().height);
    this.handle.setAttribute('aria-valuemin', String(MIN_HEIGHT));
    this.handle.setAttribute('aria-valuemax', String(this.maxHeight()));
    this.handle.setAttribute('aria-valuenow', String(now));
  }

  /** The charts take the height left under the rows above them, within MIN_CHART and MAX_CHART. */
  private sizeCharts(): void {
    const charts = this.root.querySelector<HTMLElement>('.training-charts');
    if (!charts || this.height === null || this.collapsed) {
      this.root.style.removeProperty('--train-chart-height');
      charts?.dispatchEvent(new Event(CHART_RESIZE_EVENT));
      return;
    }
    const top = charts.getBoundingClientRect().top - this.root.getBoundingClientRect().top;
    // 40 px: the chart's title and legend line above the plot, and the panel's padding.
    const chart = Math.min(MAX_CHART, Math.max(MIN_CHART, Math.floor(this.clamp(this.height) - top - 40)));
    this.root.style.setProperty('--train-chart-height', `${chart}px`);
    charts.dispatchEvent(new Event(CHART_RESIZE_EVENT));
  }

  private current(): number {
    return this.height ?? Math.round(this.root.getBoundingClientRect().height);
  }

  private onKey(event: KeyboardEvent): void {
    const step = event.shiftKey ? 4 * KEY_STEP : KEY_STEP;
    let next: number;
    // The handle is under the panel: down makes the panel taller, as dragging down does.
    if (event.key === 'ArrowDown') next = this.current() + step;
    else if (event.key === 'ArrowUp') next = this.current() - step;
    else if (event.key === 'Home') next = MIN_HEIGHT;
    else if (event.key === 'End') next = this.maxHeight();
    else return;
    event.preventDefault();
    this.setHeight(next);
    this.changed();
  }

  private onPointerDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    event.preventDefault();
    const startY = event.clientY;
    const startHeight = this.current();
    this.handle.setPointerCapture(event.pointerId);
    this.handle.classList.add('dragging');
    const move = (e: PointerEvent): void => this.setHeight(startHeight + e.clientY - startY);
    const end = (): void => {
      this.handle.removeEventListener('pointermove', move);
      this.handle.removeEventListener('pointerup', end);
      this.handle.removeEventListener('pointercancel', end);
      this.handle.classList.remove('dragging');
      this.changed();
    };
    this.handle.addEventListener('pointermove', move);
    this.handle.addEventListener('pointerup', end);
    this.handle.addEventListener('pointercancel', end);
  }
}

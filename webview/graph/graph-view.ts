/**
 * The interactive graph: turns a payload into layout (worker) and SVG, and owns what survives edits —
 * zoom, selection, collapse choices — plus hover/focus tooltips, keyboard navigation and highlights.
 */
import type { LayoutDirection, OffsetRange } from '../../src/protocol/messages';
import type { GraphPayload } from '../../src/protocol/payload';
import { accessibleText, describeGroup, describeNode, type Description, weightSharing } from '../../src/drawing/describe';
import { drawGraph } from '../../src/drawing/draw';
import type { LayoutResult } from '../../src/drawing/elk-graph';
import { layoutWithTitles } from '../../src/drawing/pipeline';
import { placeUShape } from '../../src/drawing/ushape';
import type { LayoutClient } from './layout-client';
import { addDefinitions, type Rendering, renderGraph, type RenderedItem, svgElement } from '../shared/render';
import { tooltipSections } from '../statistics/tooltip';
import { type ViewTransform, Viewport } from './viewport';
import { collapseState, computeVisible, type VisibleGraph } from '../../src/drawing/visible';

export interface GraphViewEvents {
  /** A node or block was activated (click/Enter): reveal its source. */
  reveal(id: string, range: OffsetRange): void;
  /** View state worth persisting changed (zoom, collapse, selection). */
  stateChanged(): void;
  /**
   * Optional last step between ELK and drawing (the Compare view moves both graphs onto shared rows).
   * Resolves null when this drawing has been superseded and should not be shown.
   */
  arrange?(visible: VisibleGraph, layout: LayoutResult, direction: LayoutDirection): Promise<LayoutResult | null>;
}

export interface RenderTiming {
  seq: number;
  layoutMs: number;
  cached: boolean;
  /** From `update()` to the drawing being in the DOM. */
  totalMs: number;
  items: number;
  edges: number;
}

export class GraphView {
  readonly svg: SVGSVGElement;
  private readonly layer: SVGGElement;
  private readonly viewport: Viewport;
  private payload: GraphPayload | null = null;
  private visible: VisibleGraph | null = null;
  private rendering: Rendering | null = null;
  private direction: LayoutDirection = 'down';
  private overrides: Record<string, boolean> = {};
  private selected: string | null = null;
  private highlighted: string[] = [];
  private pendingView: ViewTransform | null = null;
  private seq = 0;
  private rendered = 0;
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly stage: HTMLElement,
    private readonly tooltip: HTMLElement,
    minimap: SVGSVGElement,
    private readonly layout: LayoutClient,
    private readonly events: GraphViewEvents,
  ) {
    this.svg = svgElement('svg', { id: 'graph', tabindex: 0, role: 'application', 'aria-label': 'Model graph. Tab to move between layers; + and − zoom, 0 fits, arrows pan.' });
    stage.prepend(this.svg);
    addDefinitions(this.svg);
    this.layer = svgElement('g', { id: 'viewport' }, this.svg);
    this.viewport = new Viewport(this.svg, this.layer, minimap, () => this.events.stateChanged());
    const on = (type: string, handler: (e: Event) => void): void => {
      this.svg.addEventListener(type, handler);
      this.disposers.push(() => this.svg.removeEventListener(type, handler));
    };
    on('click', (e) => this.onClick(e as MouseEvent));
    on('keydown', (e) => this.onKey(e as KeyboardEvent));
    on('pointerover', (e) => this.onHover(e as PointerEvent));
    on('pointermove', (e) => this.moveTooltip(e as PointerEvent));
    on('pointerout', (e) => {
      if (!(e as PointerEvent).relatedTarget || !this.itemOf((e as PointerEvent).relatedTarget as Element)) {
        this.hideTooltip();
        this.trace(this.selectedItem());
      }
    });
    on('focusin', (e) => this.onFocus(e));
    on('focusout', () => {
      this.hideTooltip();
      this.trace(this.selectedItem());
    });
  }

  dispose(): void {
    this.viewport.dispose();
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  get state(): { view: ViewTransform | null; collapsed: Record<string, boolean>; selected: string | null } {
    return { view: this.rendering ? this.viewport.current : this.pendingView, collapsed: { ...this.overrides }, selected: this.selected };
  }

  get currentPayload(): GraphPayload | null {
    return this.payload;
  }

  get currentRendering(): Rendering | null {
    return this.rendering;
  }

  /** Restores a saved view (applied at the first render). */
  restore(state: { view: ViewTransform | null; collapsed: Record<string, boolean>; selected: string | null }): void {
    this.pendingView = state.view;
    this.overrides = { ...state.collapsed };
    this.selected = state.selected;
  }

  setDirection(direction: LayoutDirection): Promise<RenderTiming | null> {
    if (direction === this.direction) return Promise.resolve(null);
    this.direction = direction;
    this.pendingView = null;
    return this.redraw(true);
  }

  /** Shows a new payload; ids that still exist keep their collapse state and selection. */
  update(payload: GraphPayload): Promise<RenderTiming | null> {
    const modelChanged = this.payload !== null && this.payload.model !== payload.model;
    this.payload = payload;
    if (modelChanged) {
      this.overrides = {};
      this.selected = null;
      this.pendingView = null;
      this.rendering = null;
    }
    return this.redraw(modelChanged);
  }

  toggle(groupId: string): Promise<RenderTiming | null> {
    const collapsed = this.collapsed().get(groupId);
    if (collapsed === undefined) return Promise.resolve(null);
    this.overrides[groupId] = !collapsed;
    this.events.stateChanged();
    return this.redraw(false);
  }

  setAllCollapsed(collapsed: boolean): Promise<RenderTiming | null> {
    if (!this.payload) return Promise.resolve(null);
    for (const group of this.payload.groups) this.overrides[group.id] = collapsed;
    this.events.stateChanged();
    return this.redraw(true);
  }

  /** Draws the current payload again, keeping the view (the layout comes from the cache). */
  relayout(): Promise<RenderTiming | null> {
    return this.redraw(false);
  }

  fit(): void {
    this.viewport.fit();
  }

  /** Fits the graph's width (its height when laid out left-to-right), from its start. */
  fitAcross(): void {
    this.viewport.fitAcross(this.direction);
  }

  get layoutDirection(): LayoutDirection {
    return this.direction;
  }

  /** The current pan and zoom (the Compare view links two views through these). */
  get viewTransform(): ViewTransform {
    return this.viewport.current;
  }

  setViewTransform(transform: ViewTransform): void {
    this.viewport.set(transform);
  }

  /** Marks the items showing these node/group ids (the editor cursor's line) and brings the first into view. */
  highlight(ids: string[]): void {
    this.highlighted = ids;
    this.applyHighlight(true);
  }

  private collapsed(): Map<string, boolean> {
    return this.payload ? collapseState(this.payload, this.overrides) : new Map();
  }

  private async redraw(refit: boolean): Promise<RenderTiming | null> {
    const payload = this.payload;
    if (!payload) return null;
    const started = performance.now();
    const seq = ++this.seq;
    const collapsed = this.collapsed();
    const visible = computeVisible(payload, collapsed);
    const direction = this.direction;
    const spent = { layoutMs: 0, cached: true };
    const laidOut = await layoutWithTitles(
      visible,
      direction,
      async (graph) => {
        const outcome = await this.layout.layout(graph);
        // A newer update started meanwhile: its drawing wins.
        if (!outcome || seq !== this.seq) return null;
        spent.layoutMs += outcome.layoutMs;
        spent.cached &&= outcome.cached;
        // The Compare view aligns rows by depth instead, which a U would defeat.
        const layout = this.events.arrange ? await this.events.arrange(visible, outcome.result, direction) : placeUShape(visible, outcome.result, direction);
        return layout && seq === this.seq ? layout : null;
      },
      (layout) => drawGraph({ payload, visible, layout, collapsed, direction }),
    );
    if (!laidOut || seq !== this.seq) return null;
    const rendering = renderGraph({ payload, visible, layout: laidOut.layout, collapsed, direction }, laidOut.drawing);
    const first = this.rendering === null;
    const focusedId = (document.activeElement as Element | null)?.closest?.('.node')?.getAttribute('data-id') ?? null;
    this.layer.replaceChildren(rendering.content);
    this.rendering = rendering;
    this.visible = visible;
    this.viewport.setContentSize(rendering.width, rendering.height);
    if (first && this.pendingView) this.viewport.set(this.pendingView);
    else if (first || refit) this.viewport.initialView();
    this.pendingView = null;
    if (this.selected && !visible.ownerOf.has(this.selected)) this.selected = null;
    this.applySelection();
    this.applyHighlight(false);
    if (focusedId) rendering.items.get(visible.ownerOf.get(focusedId) ?? focusedId)?.element.focus({ preventScroll: true });
    const timing: RenderTiming = { seq: ++this.rendered, layoutMs: spent.layoutMs, cached: spent.cached, totalMs: performance.now() - started, items: rendering.items.size, edges: visible.edges.length };
    this.stage.dataset.renderCount = String(timing.seq);
    this.stage.dispatchEvent(new CustomEvent('graph-rendered', { detail: timing, bubbles: true }));
    this.events.stateChanged();
    return timing;
  }

  private applySelection(): void {
    if (!this.rendering || !this.visible) return;
    for (const element of this.layer.querySelectorAll('.node.selected')) element.classList.remove('selected');
    const owner = this.selectedItem();
    if (owner) this.rendering.items.get(owner)?.element.classList.add('selected');
    this.trace(owner);
  }

  /** The visible item showing the selection, if any. */
  private selectedItem(): string | null {
    return (this.selected && this.visible?.ownerOf.get(this.selected)) || null;
  }

  /**
   * Brings the edges into and out of one item forward and fades the others, so a dense block's arcs can
   * be followed one layer at a time; null restores every edge.
   */
  private trace(id: string | null): void {
    const content = this.rendering?.content;
    if (!content) return;
    for (const edge of content.querySelectorAll('.edge.related')) edge.classList.remove('related');
    content.classList.toggle('tracing', id !== null);
    if (id === null) return;
    for (const edge of content.querySelectorAll<SVGPathElement>('.edge')) {
      if (edge.dataset.source !== id && edge.dataset.target !== id) continue;
      edge.classList.add('related');
      edge.parentNode?.appendChild(edge);
    }
  }

  /**
   * Marks the highlighted items and, when asked, brings one into view: the selected item when it is among
   * them (a click inside a repeated block selects its definition line, which every instance shares: the
   * clicked instance must stay where it is), else the first.
   */
  private applyHighlight(bringIntoView: boolean): void {
    if (!this.rendering || !this.visible) return;
    for (const element of this.layer.querySelectorAll('.node.highlighted')) element.classList.remove('highlighted');
    const selected = this.selectedItem();
    let shown: RenderedItem | undefined;
    for (const id of this.highlighted) {
      const item = this.rendering.items.get(this.visible.ownerOf.get(id) ?? id);
      if (!item) continue;
      item.element.classList.add('highlighted');
      if (item.id === selected) shown = item;
      else shown ??= item;
    }
    if (bringIntoView && shown) this.viewport.reveal(shown.box);
  }

  private itemOf(target: Element | null): RenderedItem | undefined {
    const id = target?.closest?.('.node')?.getAttribute('data-id');
    return id ? this.rendering?.items.get(id) : undefined;
  }

  private activate(item: RenderedItem): void {
    this.selected = item.id;
    this.applySelection();
    this.events.reveal(item.id, item.range);
    this.events.stateChanged();
  }

  private onClick(event: MouseEvent): void {
    const toggle = (event.target as Element).closest('.toggle');
    if (toggle) {
      const id = toggle.getAttribute('data-toggle');
      if (id) void this.toggle(id);
      return;
    }
    const item = this.itemOf(event.target as Element);
    if (item) this.activate(item);
  }

  private onKey(event: KeyboardEvent): void {
    const item = this.itemOf(event.target as Element);
    if (!item || !this.rendering) return;
    if (event.key === 'Enter') {
      event.preventDefault();
      this.activate(item);
    } else if (event.key === ' ' && item.group) {
      event.preventDefault();
      void this.toggle(item.group.id);
    } else if (event.key === 'Escape') {
      this.svg.focus();
    } else if (event.key.startsWith('Arrow')) {
      event.preventDefault();
      const next = this.neighbour(item, event.key);
      if (next) {
        next.element.focus({ preventScroll: true });
        this.viewport.reveal(next.box);
      }
    }
  }

  /** The nearest item in an arrow's direction (distance along it, with a penalty for sideways offset). */
  private neighbour(from: RenderedItem, key: string): RenderedItem | undefined {
    const cx = from.box.x + from.box.width / 2;
    const cy = from.box.y + from.box.height / 2;
    const [ux, uy] = key === 'ArrowUp' ? [0, -1] : key === 'ArrowDown' ? [0, 1] : key === 'ArrowLeft' ? [-1, 0] : [1, 0];
    let best: RenderedItem | undefined;
    let bestScore = Infinity;
    for (const item of this.rendering!.items.values()) {
      if (item === from) continue;
      const dx = item.box.x + item.box.width / 2 - cx;
      const dy = item.box.y + item.box.height / 2 - cy;
      const along = dx * ux + dy * uy;
      if (along <= 1) continue;
      const score = along + 2 * Math.abs(dx * uy - dy * ux);
      if (score < bestScore) [best, bestScore] = [item, score];
    }
    return best;
  }

  private describe(item: RenderedItem): Description | null {
    const payload = this.payload;
    if (!payload) return null;
    const sharing = weightSharing(payload);
    if (item.group) return describeGroup(item.group, payload.nodes.find((n) => n.id === item.group!.output), true, sharing);
    const node = payload.nodes.find((n) => n.id === item.id);
    return node ? describeNode(node, sharing) : null;
  }

  private onHover(event: PointerEvent): void {
    const item = this.itemOf(event.target as Element);
    if (!item) return;
    this.trace(item.id);
    this.showTooltip(item, event.clientX, event.clientY);
  }

  private onFocus(event: Event): void {
    const item = this.itemOf(event.target as Element);
    if (!item) return;
    this.trace(item.id);
    const rect = item.element.getBoundingClientRect();
    this.showTooltip(item, rect.right, rect.top);
  }

  private showTooltip(item: RenderedItem, clientX: number, clientY: number): void {
    const description = this.describe(item);
    if (!description) return;
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = description.title;
    const rows = description.rows.map((row) => {
      const div = document.createElement('div');
      div.className = 'row';
      const key = document.createElement('span');
      key.className = 'key';
      key.textContent = `${row.key}: `;
      const value = document.createElement('span');
      value.className = 'value';
      value.dataset.key = row.key;
      value.textContent = row.value;
      div.append(key, value);
      return div;
    });
    // Sections other views register (training statistics of this item while a run is on).
    const extra = tooltipSections(item.id);
    this.tooltip.replaceChildren(title, ...rows, ...extra.map((s) => s.element));
    this.tooltip.setAttribute('aria-label', [accessibleText(description), ...extra.map((s) => s.text)].join('. '));
    this.tooltip.classList.add('visible');
    this.tooltip.dataset.for = item.id;
    this.placeTooltip(item, clientX, clientY);
  }

  private moveTooltip(event: PointerEvent): void {
    const item = this.itemOf(event.target as Element);
    if (this.tooltip.classList.contains('visible') && item) this.placeTooltip(item, event.clientX, event.clientY);
  }

  /**
   * Puts the tooltip beside the item, never over it: right of it at the pointer's height, else left, else
   * below or above; clamped to the stage, the side that still covers the least of the item wins.
   */
  private placeTooltip(item: RenderedItem, clientX: number, clientY: number): void {
    const stage = this.stage.getBoundingClientRect();
    const tip = this.tooltip.getBoundingClientRect();
    const node = item.element.getBoundingClientRect();
    const gap = 8;
    const clampX = (x: number): number => Math.min(Math.max(0, x), Math.max(0, stage.width - tip.width));
    const clampY = (y: number): number => Math.min(Math.max(0, y), Math.max(0, stage.height - tip.height));
    const pointerY = clientY - stage.top - 8;
    const pointerX = clientX - stage.left - tip.width / 2;
    const candidates = [
      { x: node.right - stage.left + gap, y: pointerY },
      { x: node.left - stage.left - gap - tip.width, y: pointerY },
      { x: pointerX, y: node.bottom - stage.top + gap },
      { x: pointerX, y: node.top - stage.top - gap - tip.height },
    ].map((c) => ({ x: clampX(c.x), y: clampY(c.y) }));
    const covered = (c: { x: number; y: number }): number => {
      const w = Math.min(c.x + tip.width, node.right - stage.left) - Math.max(c.x, node.left - stage.left);
      const h = Math.min(c.y + tip.height, node.bottom - stage.top) - Math.max(c.y, node.top - stage.top);
      return Math.max(0, w) * Math.max(0, h);
    };
    let best = candidates[0];
    for (const c of candidates) if (covered(c) < covered(best)) best = c;
    this.tooltip.style.left = `${best.x}px`;
    this.tooltip.style.top = `${best.y}px`;
  }

  private hideTooltip(): void {
    this.tooltip.classList.remove('visible');
  }
}

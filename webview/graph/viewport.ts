/**
 * Pan and zoom of the graph SVG (mouse wheel, trackpad pinch and scroll, drag, keyboard + − 0 and
 * arrows), fit-to-view, and the overview minimap for graphs larger than the window.
 */
import { svgElement } from '../shared/render';

export interface ViewTransform {
  x: number;
  y: number;
  scale: number;
}

const MIN_SCALE = 0.02;
const MAX_SCALE = 4;
/** Below this zoom 11 px labels shrink under about 7 px: the first view of a graph never goes lower. */
export const READABLE_SCALE = 0.6;

export class Viewport {
  private transform: ViewTransform = { x: 0, y: 0, scale: 1 };
  private contentWidth = 0;
  private contentHeight = 0;
  private readonly minimapUse: SVGUseElement;
  private readonly minimapWindow: SVGRectElement;
  private readonly disposers: (() => void)[] = [];
  private lastSize = { width: 0, height: 0 };

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly layer: SVGGElement,
    private readonly minimap: SVGSVGElement,
    private readonly onChange: (transform: ViewTransform) => void,
  ) {
    this.minimapUse = svgElement('use', { href: '#graph-content' }, minimap);
    this.minimapWindow = svgElement('rect', { class: 'window' }, minimap);
    this.listen(svg, 'wheel', (e) => this.onWheel(e as WheelEvent), { passive: false });
    this.listen(svg, 'pointerdown', (e) => this.onPointerDown(e as PointerEvent));
    this.listen(svg, 'keydown', (e) => this.onKey(e as KeyboardEvent));
    this.listen(minimap, 'pointerdown', (e) => this.onMinimap(e as PointerEvent));
    this.listen(minimap, 'pointermove', (e) => {
      if ((e as PointerEvent).buttons === 1) this.onMinimap(e as PointerEvent);
    });
    const resize = new ResizeObserver(() => this.onResize());
    resize.observe(svg);
    this.disposers.push(() => resize.disconnect());
  }

  private listen(target: EventTarget, type: string, handler: (e: Event) => void, options?: AddEventListenerOptions): void {
    target.addEventListener(type, handler, options);
    this.disposers.push(() => target.removeEventListener(type, handler, options));
  }

  dispose(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  get current(): ViewTransform {
    return { ...this.transform };
  }

  setContentSize(width: number, height: number): void {
    this.contentWidth = width;
    this.contentHeight = height;
    this.minimap.setAttribute('viewBox', `0 0 ${Math.max(1, width)} ${Math.max(1, height)}`);
    this.apply();
  }

  set(transform: ViewTransform): void {
    this.transform = { x: transform.x, y: transform.y, scale: clamp(transform.scale, MIN_SCALE, MAX_SCALE) };
    this.apply();
  }

  /**
   * Shows the whole graph above the band the legend takes at the bottom of the view (however many lines
   * it wraps to at this width), so no node sits under the legend; the minimap is hidden then, the whole
   * graph being on screen.
   */
  fit(): void {
    const { width } = this.size();
    const height = this.size().height - this.legendBand();
    if (!this.contentWidth || !this.contentHeight || !width || height <= 24) return;
    const scale = clamp(Math.min((width - 24) / this.contentWidth, (height - 24) / this.contentHeight, 1.5), MIN_SCALE, MAX_SCALE);
    this.set({ scale, x: (width - this.contentWidth * scale) / 2, y: Math.max(12, (height - this.contentHeight * scale) / 2) });
  }

  /** Height of the view's bottom band the legend covers, px, from the legend's top to the view's bottom; 0 without one. */
  private legendBand(): number {
    const legend = this.svg.parentElement?.querySelector<HTMLElement>(':scope > #legend');
    if (!legend || legend.offsetParent === null) return 0;
    const view = this.svg.getBoundingClientRect();
    const box = legend.getBoundingClientRect();
    return box.height > 0 ? Math.max(0, view.bottom - box.top) : 0;
  }

  /**
   * Fits the cross axis (the width of a top-down graph, the height of a left-to-right one) and shows the
   * graph's start: a long model at a readable size instead of the sliver a whole-graph fit gives.
   */
  fitAcross(direction: 'down' | 'right'): void {
    const { width, height } = this.size();
    if (!this.contentWidth || !this.contentHeight || !width || !height) return;
    if (direction === 'down') {
      const scale = clamp((width - 24) / this.contentWidth, MIN_SCALE, 1.5);
      this.set({ scale, x: (width - this.contentWidth * scale) / 2, y: 12 });
    } else {
      const scale = clamp((height - 24) / this.contentHeight, MIN_SCALE, 1.5);
      this.set({ scale, x: 12, y: (height - this.contentHeight * scale) / 2 });
    }
  }

  /**
   * The first view of a graph: everything when that is still readable, else about 1:1 (fitting the
   * cross axis, never below READABLE_SCALE) at the start of the graph (top, or left when laid out
   * left-to-right), with the minimap giving the overview. `fit()` (the Fit button, key 0) shows it all.
   */
  initialView(): void {
    const { width, height } = this.size();
    if (!this.contentWidth || !this.contentHeight || !width || !height) return;
    const fitWidth = (width - 24) / this.contentWidth;
    const fitHeight = (height - 24) / this.contentHeight;
    if (Math.min(fitWidth, fitHeight, 1.5) >= READABLE_SCALE) {
      this.fit();
      return;
    }
    // The axis that overflows is the flow axis; fit the other one, within [READABLE_SCALE, 1].
    const scale = clamp(Math.max(fitWidth, fitHeight), READABLE_SCALE, 1);
    const drawnWidth = this.contentWidth * scale;
    const drawnHeight = this.contentHeight * scale;
    this.set({ scale, x: drawnWidth < width ? (width - drawnWidth) / 2 : 12, y: drawnHeight < height ? (height - drawnHeight) / 2 : 12 });
  }

  /** Zooms by `factor` keeping the screen point (px, py) fixed. */
  zoom(factor: number, px?: number, py?: number): void {
    const { width, height } = this.size();
    const cx = px ?? width / 2;
    const cy = py ?? height / 2;
    const scale = clamp(this.transform.scale * factor, MIN_SCALE, MAX_SCALE);
    const k = scale / this.transform.scale;
    this.set({ scale, x: cx - (cx - this.transform.x) * k, y: cy - (cy - this.transform.y) * k });
  }

  pan(dx: number, dy: number): void {
    this.set({ ...this.transform, x: this.transform.x + dx, y: this.transform.y + dy });
  }

  /** Pans so the content point (x, y) is at the centre. */
  centreOn(x: number, y: number): void {
    const { width, height } = this.size();
    this.set({ ...this.transform, x: width / 2 - x * this.transform.scale, y: height / 2 - y * this.transform.scale });
  }

  /** Pans the least amount that brings the content box into view. */
  reveal(box: { x: number; y: number; width: number; height: number }): void {
    const { width, height } = this.size();
    const s = this.transform.scale;
    const left = box.x * s + this.transform.x;
    const top = box.y * s + this.transform.y;
    let dx = 0;
    let dy = 0;
    if (left < 8) dx = 8 - left;
    else if (left + box.width * s > width - 8) dx = width - 8 - (left + box.width * s);
    if (top < 8) dy = 8 - top;
    else if (top + box.height * s > height - 8) dy = height - 8 - (top + box.height * s);
    if (dx || dy) this.pan(dx, dy);
  }

  private size(): { width: number; height: number } {
    const rect = this.svg.getBoundingClientRect();
    return { width: rect.width, height: rect.height };
  }

  /**
   * Along an axis where the drawing fits, keep it where it was relative to the centre (an editor opening
   * beside the graph must not push the graph against one edge); along an axis it overflows, keep the
   * scroll position, like a document. The first size (from zero) has nothing to keep.
   */
  private onResize(): void {
    const size = this.size();
    const before = this.lastSize;
    this.lastSize = size;
    if (before.width > 0 && before.height > 0) {
      const { x, y, scale } = this.transform;
      const dx = this.contentWidth * scale <= size.width ? (size.width - before.width) / 2 : 0;
      const dy = this.contentHeight * scale <= size.height ? (size.height - before.height) / 2 : 0;
      this.transform = { x: x + dx, y: y + dy, scale };
    }
    this.apply();
  }

  private apply(): void {
    const { x, y, scale } = this.transform;
    this.layer.setAttribute('transform', `translate(${x.toFixed(2)},${y.toFixed(2)}) scale(${scale.toFixed(5)})`);
    const { width, height } = this.size();
    // The minimap appears only when the graph does not fit the window at the current zoom.
    const large = this.contentWidth * scale > width * 1.05 || this.contentHeight * scale > height * 1.05;
    this.minimap.classList.toggle('visible', large);
    this.minimapWindow.setAttribute('x', String(-x / scale));
    this.minimapWindow.setAttribute('y', String(-y / scale));
    this.minimapWindow.setAttribute('width', String(width / scale));
    this.minimapWindow.setAttribute('height', String(height / scale));
    this.minimapUse.setAttribute('href', '#graph-content');
    this.onChange(this.current);
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const rect = this.svg.getBoundingClientRect();
    const lineScale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? rect.height : 1;
    const dx = event.deltaX * lineScale;
    const dy = event.deltaY * lineScale;
    // Pinch (ctrlKey) and a mouse wheel (vertical notches) zoom; a trackpad's two-finger scroll pans.
    const mouseWheel = dx === 0 && (event.deltaMode !== 0 || (Math.abs(dy) >= 50 && Number.isInteger(dy)));
    if (event.ctrlKey || mouseWheel) this.zoom(Math.exp(-dy * (event.ctrlKey ? 0.01 : 0.0015)), event.clientX - rect.left, event.clientY - rect.top);
    else this.pan(-dx, -dy);
  }

  private onPointerDown(event: PointerEvent): void {
    if (event.button !== 0 || (event.target as Element).closest('.node, .toggle')) return;
    const start = { x: event.clientX, y: event.clientY, tx: this.transform.x, ty: this.transform.y };
    this.svg.setPointerCapture(event.pointerId);
    this.svg.classList.add('panning');
    const move = (e: PointerEvent): void => this.set({ ...this.transform, x: start.tx + e.clientX - start.x, y: start.ty + e.clientY - start.y });
    const up = (): void => {
      this.svg.classList.remove('panning');
      this.svg.removeEventListener('pointermove', move);
      this.svg.removeEventListener('pointerup', up);
      this.svg.removeEventListener('pointercancel', up);
    };
    this.svg.addEventListener('pointermove', move);
    this.svg.addEventListener('pointerup', up);
    this.svg.addEventListener('pointercancel', up);
  }

  private onKey(event: KeyboardEvent): void {
    // Keys on a focused node are the node's (focus moves); these act on the canvas itself.
    if ((event.target as Element).closest?.('.node')) return;
    const step = 60;
    const actions: Record<string, () => void> = {
      '+': () => this.zoom(1.25),
      '=': () => this.zoom(1.25),
      '-': () => this.zoom(0.8),
      _: () => this.zoom(0.8),
      '0': () => this.fit(),
      ArrowLeft: () => this.pan(step, 0),
      ArrowRight: () => this.pan(-step, 0),
      ArrowUp: () => this.pan(0, step),
      ArrowDown: () => this.pan(0, -step),
    };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
  }

  private onMinimap(event: PointerEvent): void {
    const rect = this.minimap.getBoundingClientRect();
    if (!rect.width || !rect.height || !this.contentWidth) return;
    // viewBox is fitted with preserveAspectRatio xMidYMid meet.
    const scale = Math.min(rect.width / this.contentWidth, rect.height / this.contentHeight);
    const offsetX = (rect.width - this.contentWidth * scale) / 2;
    const offsetY = (rect.height - this.contentHeight * scale) / 2;
    this.centreOn((event.clientX - rect.left - offsetX) / scale, (event.clientY - rect.top - offsetY) / scale);
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

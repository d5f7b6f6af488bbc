/**
 * Puts a drawing on the page: the shared drawing code (src/drawing/draw.ts, also used by `skipnet
 * render`) builds an SVG tree, and this turns it into elements with createElementNS + setAttribute +
 * textContent only, so any text in the payload stays text.
 */
import { definitions, type DrawContext, drawGraph, type Drawing } from '../../src/drawing/draw';
import type { LaidOutBox } from '../../src/drawing/elk-graph';
import type { SvgNode } from '../../src/drawing/svg-tree';
import type { PayloadGroup } from '../../src/protocol/payload';

const SVG = 'http://www.w3.org/2000/svg';

export function svgElement<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  parent?.appendChild(element);
  return element;
}

/** Elements for a tree; `record` collects which element each tree node became. */
export function toDom(node: SvgNode, record?: Map<SvgNode, Element>): SVGElement {
  const element = document.createElementNS(SVG, node.tag) as SVGElement;
  for (const [name, value] of node.attributes) element.setAttribute(name, value);
  if (node.text !== undefined) element.textContent = node.text;
  for (const child of node.children) element.appendChild(toDom(child, record));
  record?.set(node, element);
  return element;
}

export interface RenderedItem {
  id: string;
  element: SVGGElement;
  box: LaidOutBox;
  /** Source range to reveal on click. */
  range: { start: number; end: number };
  group: PayloadGroup | null;
}

/** The drawing of one graph on the page; `items` index the focusable nodes by id, `drawing` is the tree. */
export interface Rendering {
  content: SVGGElement;
  drawing: Drawing;
  items: Map<string, RenderedItem>;
  width: number;
  height: number;
}

/** The drawing of `context` on the page; `drawing` when the caller drew it already (drawGraph of the same context). */
export function renderGraph(context: DrawContext, drawing: Drawing = drawGraph(context)): Rendering {
  const elements = new Map<SvgNode, Element>();
  const content = toDom(drawing.content, elements) as SVGGElement;
  const items = new Map<string, RenderedItem>();
  for (const [id, item] of drawing.items) items.set(id, { id, element: elements.get(item.node) as SVGGElement, box: item.box, range: item.range, group: item.group });
  return { content, drawing, items, width: drawing.width, height: drawing.height };
}

/** Arrow marker and such; added once per SVG. */
export function addDefinitions(svg: SVGSVGElement): void {
  svg.appendChild(toDom(definitions()));
}

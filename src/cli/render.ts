/**
 * `skipnet render`: the graph view's drawing as a standalone SVG file, laid out by elkjs in Node with the
 * webview's options and drawn by the webview's own drawing code (src/drawing), so the file has the same
 * structure (nodes, boxes, edges, shapes, classes) as the view and as its Export SVG.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ELK as ElkEngine, ElkNode } from 'elkjs/lib/elk-api';
import { analyze } from '../core';
import type { Drawing } from '../drawing/draw';
import type { LayoutResult } from '../drawing/elk-graph';
import { type DrawOptions, drawPayload } from '../drawing/pipeline';
import { DARK_PALETTE, PRINT_PALETTE, standaloneSvg } from '../drawing/standalone';
import { buildGraphPayload, type GraphPayload } from '../protocol';

/** The graph view's default (setting skipnet.graph.collapseThreshold). */
export const DEFAULT_COLLAPSE_THRESHOLD = 150;

let engine: ElkEngine | undefined;

/** elkjs's bundled build: it runs without a worker in Node. */
const ELK_MODULE = 'elkjs/lib/elk.bundled.js';

/**
 * Lays out with elkjs in this process. ELK (3 MB of compiled Java) is loaded on first use, from its own
 * bundle next to the CLI's (dist/elk-layout.js, see scripts/build.mjs) or, in tests, from the package:
 * every other command would otherwise spend about 100 ms parsing it at start.
 */
export async function layoutInNode(graph: unknown): Promise<unknown> {
  if (!engine) {
    const own = join(__dirname, 'elk-layout.js');
    // A computed name: esbuild leaves the require to run time instead of bundling ELK into the CLI.
    const loaded = (existsSync(own) ? require(own) : require(ELK_MODULE)) as { default?: new () => ElkEngine } & (new () => ElkEngine);
    const ELK = loaded.default ?? loaded;
    engine = new ELK();
  }
  return engine.layout(graph as ElkNode);
}

export interface RenderOptions extends DrawOptions {
  model?: string;
  theme: 'print' | 'dark';
}

export type RenderResult = { ok: true; svg: string; payload: GraphPayload; drawing: Drawing & { layout: LayoutResult } } | { ok: false; message: string; exitCode: 1 | 2 };

/** The payload the graph view would receive for this model. */
export function payloadFor(text: string, model?: string): { payload: GraphPayload } | { message: string; exitCode: 1 | 2 } {
  const analysis = analyze(text);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const position = analysis.lines.positionAt(errors[0].range.start);
    return { message: `${errors.length} error${errors.length === 1 ? '' : 's'}; the first, at ${position.line + 1}:${position.character + 1}: ${errors[0].message}`, exitCode: 1 };
  }
  if (analysis.models.length === 0) return { message: 'the file defines no model', exitCode: 1 };
  const graph = model === undefined ? analysis.models[0] : analysis.models.find((m) => m.name === model);
  if (!graph) return { message: `no model '${model}'; the file has ${analysis.models.map((m) => m.name).join(', ')}`, exitCode: 2 };
  return { payload: buildGraphPayload(graph, analysis.lines, { collapseThreshold: DEFAULT_COLLAPSE_THRESHOLD, models: analysis.models.map((m) => m.name) }) };
}

export async function renderSvg(text: string, options: RenderOptions): Promise<RenderResult> {
  const built = payloadFor(text, options.model);
  if (!('payload' in built)) return { ok: false, ...built };
  const drawing = await drawPayload(built.payload, options, layoutInNode);
  return { ok: true, svg: standaloneSvg(drawing, options.theme === 'dark' ? DARK_PALETTE : PRINT_PALETTE), payload: built.payload, drawing };
}

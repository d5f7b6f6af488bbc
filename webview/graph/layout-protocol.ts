/** Messages between the webview and its layout worker (same origin, our own code on both sides). */
import type { ElkInputNode } from '../../src/drawing/elk-graph';

export interface LayoutRequest {
  id: number;
  graph: ElkInputNode;
}

export type LayoutResponse =
  | { id: number; ok: true; graph: unknown; layoutMs: number }
  | { id: number; ok: false; error: string; layoutMs: number };

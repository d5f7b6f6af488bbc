/**
 * The layout worker: runs elkjs (layered) off the UI thread so typing and pan/zoom never wait for it.
 * Answers each request with ELK's output and the time the layout itself took in the worker.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { LayoutRequest, LayoutResponse } from './layout-protocol';

const elk = new ELK();
const scope = self as unknown as { onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null; postMessage(message: LayoutResponse): void };

// elk.bundled.js installs its own dispatcher on `self.onmessage` when loaded in a worker; ours replaces it.
scope.onmessage = (event) => {
  const { id, graph } = event.data;
  const started = performance.now();
  elk.layout(graph as ElkNode).then(
    (result) => scope.postMessage({ id, ok: true, graph: result, layoutMs: performance.now() - started }),
    (error: unknown) => scope.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error), layoutMs: performance.now() - started }),
  );
};

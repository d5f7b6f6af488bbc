/**
 * The layout worker: runs elkjs (layered) off the UI thread so typing and pan/zoom never wait for it.
 * Answers each request with ELK's output and the time the layout itself took in the worker.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { LayoutRequest, LayoutResponse } from './layout-protocol';

const elk = new ELK();
const scope = self as unknown as { onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null; postMessage(message: LayoutResponse): void };

/**
 * ELK is large GWT-compiled code: its first layouts run cold. Laying out a small graph of the same shape
 * as ours (a chain, a block, a skip edge) while the page is still starting makes the first real one fast.
 */
function warmUp(): void {
  const options = { 'elk.algorithm': 'layered', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN', 'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF' };
  const children = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, width: 150, height: 40 }));
  const graph = {
    id: 'warm',
    layoutOptions: options,
    children: [...children.slice(0, 6), { id: 'block', layoutOptions: options, children: children.slice(6) }],
    edges: [...children.slice(1).map((c, i) => ({ id: `e${i}`, sources: [`n${i}`], targets: [c.id] })), { id: 'skip', sources: ['n2'], targets: ['n9'] }],
  };
  let remaining = 3;
  const next = (): void => {
    if (remaining-- > 0) void elk.layout(structuredClone(graph) as ElkNode).then(next, () => undefined);
  };
  next();
}
warmUp();

// elk.bundled.js installs its own dispatcher on `self.onmessage` when loaded in a worker; ours replaces it.
scope.onmessage = (event) => {
  const { id, graph } = event.data;
  const started = performance.now();
  elk.layout(graph as ElkNode).then(
    (result) => scope.postMessage({ id, ok: true, graph: result, layoutMs: performance.now() - started }),
    (error: unknown) => scope.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error), layoutMs: performance.now() - started }),
  );
};

/**
 * The page side of the layout worker: one request in flight at a time, newer requests replace a queued
 * one (only the latest graph matters while typing), and results are cached by the ELK input so an edit
 * that changes numbers but not structure skips the layout.
 */
import { type ElkInputNode, type LayoutResult, readElkResult, structureKey } from '../../src/drawing/elk-graph';
import type { LayoutRequest, LayoutResponse } from './layout-protocol';

export interface LayoutOutcome {
  result: LayoutResult;
  /** Time ELK took in the worker (0 on a cache hit). */
  layoutMs: number;
  cached: boolean;
}

interface Pending {
  key: string;
  graph: ElkInputNode;
  resolve: (outcome: LayoutOutcome | null) => void;
  reject: (error: Error) => void;
}

const CACHE_SIZE = 8;

export class LayoutClient {
  private nextId = 1;
  private inFlight: (Pending & { id: number }) | null = null;
  private queued: Pending | null = null;
  private readonly cache = new Map<string, LayoutResult>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<LayoutResponse>) => this.onResponse(event.data);
    worker.onerror = (event) => {
      const current = this.inFlight;
      this.inFlight = null;
      current?.reject(new Error(`layout worker failed: ${event.message}`));
      this.pump();
    };
  }

  /**
   * Lays out `graph`. Resolves null when a newer request superseded this one before it started.
   */
  layout(graph: ElkInputNode): Promise<LayoutOutcome | null> {
    const key = structureKey(graph);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve({ result: hit, layoutMs: 0, cached: true });
    }
    return new Promise((resolve, reject) => {
      this.queued?.resolve(null);
      this.queued = { key, graph, resolve, reject };
      this.pump();
    });
  }

  dispose(): void {
    this.worker.terminate();
    this.inFlight?.resolve(null);
    this.queued?.resolve(null);
    this.inFlight = this.queued = null;
  }

  private pump(): void {
    if (this.inFlight || !this.queued) return;
    const next = this.queued;
    this.queued = null;
    const id = this.nextId++;
    this.inFlight = { ...next, id };
    const request: LayoutRequest = { id, graph: next.graph };
    this.worker.postMessage(request);
  }

  private onResponse(response: LayoutResponse): void {
    const current = this.inFlight;
    if (!current || current.id !== response.id) return;
    this.inFlight = null;
    if (response.ok) {
      const result = readElkResult(response.graph as Parameters<typeof readElkResult>[0]);
      this.cache.set(current.key, result);
      while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
      current.resolve({ result, layoutMs: response.layoutMs, cached: false });
    } else current.reject(new Error(response.error));
    this.pump();
  }
}

/**
 * Starts the worker from its bundle URL. A webview's resources live on another origin than the page, so
 * the script is fetched and started from a blob: URL (CSP: connect-src for the fetch, worker-src blob:).
 */
export async function startLayoutWorker(url: string): Promise<Worker> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the layout worker (${response.status})`);
  const blob = new Blob([await response.text()], { type: 'text/javascript' });
  // Not revoked: the worker may fetch it after this returns; it lives as long as the page.
  return new Worker(URL.createObjectURL(blob));
}

/**
 * How two training workers agree to share a run (data-parallel, see src/train/shard.ts) over the message
 * port the page gave them. Replica 0 picks the backend; when that is a CPU backend (wasm or cpu, where a
 * second worker means a second core) it invites replica 1 to join on the same backend, otherwise it tells it
 * to end. Replica 1 answers 'joined' once its engine is built, or 'end' when it cannot train. After that the
 * port carries shard.ts's exchanges.
 */
import { portPeer, type ShardPeer, type ShardPort } from '../../src/train/shard';
import type { BackendName } from './runtime-api';

export type LinkMessage = { type: 'join'; backend: BackendName } | { type: 'joined' } | { type: 'end' };

/** Backends on which a second worker adds a core; GPU backends gain nothing from it. */
export const SHARDABLE: readonly BackendName[] = ['wasm', 'cpu'];

interface LinkPort {
  postMessage(message: LinkMessage): void;
  onmessage: ((event: MessageEvent<LinkMessage>) => void) | null;
  close(): void;
}

/** The next message on the port, or null when `cancelled` settles first. */
function nextMessage(port: LinkPort, cancelled: Promise<void>): Promise<LinkMessage | null> {
  return Promise.race([
    new Promise<LinkMessage>((resolve) => {
      port.onmessage = (event) => {
        port.onmessage = null;
        resolve(event.data);
      };
    }),
    cancelled.then(() => null),
  ]);
}

function asShardPort(port: MessagePort): ShardPort {
  return port as unknown as ShardPort;
}

/** Replica 0: invites the other worker onto `backend`; the peer when it joined, else null (train alone). */
export async function invite(port: MessagePort, backend: BackendName, cancelled: Promise<void>): Promise<ShardPeer | null> {
  const link = port as unknown as LinkPort;
  if (!SHARDABLE.includes(backend)) {
    decline(port);
    return null;
  }
  link.postMessage({ type: 'join', backend });
  const answer = await nextMessage(link, cancelled);
  if (answer?.type === 'joined') return portPeer(asShardPort(port), 0);
  decline(port);
  return null;
}

/** Replica 1: waits for the invitation; the backend to use, or null when told to end (or stopped). */
export async function awaitInvitation(port: MessagePort, cancelled: Promise<void>): Promise<BackendName | null> {
  const message = await nextMessage(port as unknown as LinkPort, cancelled);
  return message?.type === 'join' ? message.backend : null;
}

/**
 * Replica 1: the peer to build its engine with, and `confirm` to call once the engine is built (from
 * then on the port carries the exchanges); on failure call decline instead.
 */
export function joiner(port: MessagePort): { peer: ShardPeer; confirm(): void } {
  return { peer: portPeer(asShardPort(port), 1), confirm: () => (port as unknown as LinkPort).postMessage({ type: 'joined' }) };
}

/** Ends the link from this side (the other replica stops waiting or trains alone). */
export function decline(port: MessagePort): void {
  const link = port as unknown as LinkPort;
  link.postMessage({ type: 'end' });
  link.onmessage = null;
}

/**
 * How training workers agree to share a run (data-parallel, see src/train/shard.ts) over the message
 * ports the page gave them: the lead has one port to each follower. The lead picks the backend; when that
 * is a CPU backend (wasm or cpu, where another worker means another core) it invites every follower to
 * join on the same backend, otherwise it tells them to end. A follower answers 'joined' once its engine is
 * built, or 'end' when it cannot train; the lead then gives each one that joined its rank ('start', in
 * shard.ts). After that the ports carry shard.ts's exchanges.
 */
import { hubPeer, type ShardPeer, type ShardPort, spokePeer } from '../../src/train/shard';
import type { BackendName } from './runtime-api';

export type LinkMessage = { type: 'join'; backend: BackendName } | { type: 'joined' } | { type: 'end' };

/** Backends on which another worker adds a core; GPU backends gain nothing from it. */
export const SHARDABLE: readonly BackendName[] = ['wasm', 'cpu'];

interface LinkPort {
  postMessage(message: LinkMessage | { type: 'start'; rank: number; size: number }): void;
  onmessage: ((event: MessageEvent<LinkMessage>) => void) | null;
}

const link = (port: MessagePort): LinkPort => port as unknown as LinkPort;
const shardPort = (port: MessagePort): ShardPort => port as unknown as ShardPort;

/** The next message on the port, or null when `cancelled` settles first. */
function nextMessage(port: MessagePort, cancelled: Promise<void>): Promise<LinkMessage | null> {
  return Promise.race([
    new Promise<LinkMessage>((resolve) => {
      link(port).onmessage = (event) => {
        link(port).onmessage = null;
        resolve(event.data);
      };
    }),
    cancelled.then(() => null),
  ]);
}

/** The lead: invites the followers onto `backend`; the group's peer when any joined, else null (train alone). */
export async function invite(ports: MessagePort[], backend: BackendName, cancelled: Promise<void>): Promise<ShardPeer | null> {
  if (!SHARDABLE.includes(backend)) {
    for (const port of ports) decline(port);
    return null;
  }
  for (const port of ports) link(port).postMessage({ type: 'join', backend });
  const answers = await Promise.all(ports.map((port) => nextMessage(port, cancelled)));
  const joined = ports.filter((_, i) => answers[i]?.type === 'joined');
  for (const port of ports) if (!joined.includes(port)) decline(port);
  if (joined.length === 0) return null;
  const peer = hubPeer(joined.map(shardPort));
  joined.forEach((port, i) => link(port).postMessage({ type: 'start', rank: i + 1, size: joined.length + 1 }));
  return peer;
}

/** A follower: waits for the invitation; the backend to use, or null when told to end (or stopped). */
export async function awaitInvitation(port: MessagePort, cancelled: Promise<void>): Promise<BackendName | null> {
  const message = await nextMessage(port, cancelled);
  return message?.type === 'join' ? message.backend : null;
}

/**
 * A follower: the peer to build its engine with, and `confirm` to call once the engine is built (its rank
 * comes from the lead afterwards); on failure call the peer's end() instead.
 */
export function joiner(port: MessagePort): { peer: ShardPeer; confirm(): void } {
  return { peer: spokePeer(shardPort(port)), confirm: () => link(port).postMessage({ type: 'joined' }) };
}

/** Ends the link from this side (the other side stops waiting, or trains without this worker). */
export function decline(port: MessagePort): void {
  link(port).postMessage({ type: 'end' });
  link(port).onmessage = null;
}

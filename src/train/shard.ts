/**
 * Data-parallel training across replicas (training workers in the webview): every replica holds the same
 * weights, steps on its slice of every batch, and the replicas sum their gradients and losses before each
 * applies the same update, so the weights stay identical. Batch norm is synchronised (syncbn.ts, like
 * PyTorch's SyncBatchNorm): every slice is normalised with the whole batch's statistics, so a group trains
 * as one worker does on the whole batch. No DOM, no Node: the peer is any transport that can sum a
 * Float32Array across replicas.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ShardPeer {
  /** This replica's index, 0..size-1; replica 0 reports progress, statistics and evaluations. */
  readonly rank: number;
  readonly size: number;
  /**
   * Sums `values` element-wise over all replicas, adding them in rank order so every replica gets the
   * same bits. Rejects (ShardEnded) when another replica has ended its run.
   */
  allReduce(values: Float32Array): Promise<Float32Array>;
  /** Tells the other replicas this one has ended (they stop at their next exchange). */
  end(): void;
  /** Settles true once rank and size are known (a spoke learns them from the hub), false if the group ended first. */
  readonly ready: Promise<boolean>;
}

export class ShardEnded extends Error {
  constructor() {
    super('another training replica ended the run');
  }
}

/** Where replica `rank` of `size` finds its images in a batch of `length`: a contiguous [start, end), the last `length % size` replicas one longer. */
export function shardRange(length: number, rank: number, size: number): { start: number; end: number } {
  return { start: Math.floor((rank * length) / size), end: Math.floor(((rank + 1) * length) / size) };
}

/** This replica's part of a batch (see shardRange). */
export function shardSlice(indices: Int32Array, rank: number, size: number): Int32Array {
  const { start, end } = shardRange(indices.length, rank, size);
  return indices.subarray(start, end);
}

/** Mean and biased variance [C] per bn layer, by layer id. */
export type BatchMoments = Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>;

export interface LocalStep {
  /** [loss, correct predictions, 0 or NaN (finiteness of the gradients)] of this replica's images. */
  head: tf.Tensor1D;
  /** Gradients of `head`'s loss, in parameter order. */
  grads: tf.Tensor[];
  /** Factor on the loss and gradients that makes them this replica's share of the whole batch's (see StepGradients.weight). */
  weight: number;
}

export interface ReducedStep {
  /** The whole batch's mean loss. */
  loss: number;
  /** Correct predictions in the whole batch. */
  correct: number;
  /** 0 when every replica's gradients are finite, else NaN. */
  gradCheck: number;
  /** Gradients of the whole batch's mean loss (new tensors; the caller disposes them). */
  grads: tf.Tensor[];
}

/**
 * One exchange per step: the local results are packed on the backend into one vector (loss and gradients
 * times `weight`), read once, summed across replicas, and unpacked into tensors.
 */
export async function reduceStep(peer: ShardPeer, local: LocalStep): Promise<ReducedStep> {
  const { weight } = local;
  const packed = tf.tidy(() => {
    const [loss, correct, gradCheck] = tf.unstack(local.head);
    const parts: tf.Tensor[] = [tf.stack([tf.mul(loss, weight), correct, gradCheck])];
    for (const g of local.grads) parts.push(tf.mul(tf.reshape(g, [-1]), weight));
    return tf.concat(parts);
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const sum = await peer.allReduce(values);
  let offset = 3;
  const grads = local.grads.map((g) => {
    const part = sum.subarray(offset, offset + g.size);
    offset += g.size;
    return tf.tensor(part, g.shape, 'float32');
  });
  return { loss: sum[0], correct: sum[1], gradCheck: sum[2], grads };
}

/** One end of a MessagePort-like channel between two workers. */
export interface ShardPort {
  postMessage(message: ShardMessage): void;
  onmessage: ((event: { data: ShardMessage }) => void) | null;
}

/**
 * Replica 0 (the hub) talks to every other replica (a spoke) over its own port: spokes send their values,
 * the hub adds them in rank order and sends the sum back, so every replica applies the same bits. 'start'
 * tells a spoke its rank and the group's size once the hub knows who joined.
 */
export type ShardMessage =
  | { type: 'values'; exchange: number; values: Float32Array }
  | { type: 'start'; rank: number; size: number }
  | { type: 'end' };

/** Messages of one port, by exchange number, and whether the other side ended. */
class Inbox {
  private readonly received = new Map<number, Float32Array>();
  private waiting: { exchange: number; resolve(values: Float32Array): void; reject(error: Error): void } | null = null;
  ended = false;

  constructor(port: ShardPort, onStart?: (rank: number, size: number) => void) {
    port.onmessage = ({ data }) => {
      if (data.type === 'start') onStart?.(data.rank, data.size);
      else if (data.type === 'end') this.end();
      else if (this.waiting?.exchange === data.exchange) {
        const waiter = this.waiting;
        this.waiting = null;
        waiter.resolve(data.values);
      } else this.received.set(data.exchange, data.values);
    };
  }

  end(): void {
    this.ended = true;
    this.waiting?.reject(new ShardEnded());
    this.waiting = null;
  }

  take(exchange: number): Promise<Float32Array> {
    const ready = this.received.get(exchange);
    if (ready) {
      this.received.delete(exchange);
      return Promise.resolve(ready);
    }
    if (this.ended) return Promise.reject(new ShardEnded());
    return new Promise((resolve, reject) => (this.waiting = { exchange, resolve, reject }));
  }
}

function checkLength(mine: Float32Array, theirs: Float32Array): void {
  if (theirs.length !== mine.length) throw new Error(`training replicas disagree on the model (${mine.length} vs ${theirs.length} values)`);
}

/** Replica 0 of a group whose other replicas are at the far ends of `ports` (in rank order 1, 2, …). */
export function hubPeer(ports: ShardPort[]): ShardPeer {
  const inboxes = ports.map((port) => new Inbox(port));
  let exchange = 0;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    for (const port of ports) port.postMessage({ type: 'end' });
  };
  return {
    rank: 0,
    size: ports.length + 1,
    ready: Promise.resolve(true),
    async allReduce(values) {
      if (ended) throw new ShardEnded();
      const id = exchange++;
      const sum = values.slice();
      try {
        for (const inbox of inboxes) {
          const theirs = await inbox.take(id);
          checkLength(values, theirs);
          for (let i = 0; i < sum.length; i++) sum[i] += theirs[i];
        }
      } catch (error) {
        end();
        throw error;
      }
      for (const port of ports) port.postMessage({ type: 'values', exchange: id, values: sum });
      return sum;
    },
    end,
  };
}

/**
 * A replica other than 0, talking to the hub over `port`. Its rank and the group's size arrive in the hub's
 * 'start' message: `ready` settles true then (false when the hub ended first); train only after it.
 */
export function spokePeer(port: ShardPort): ShardPeer {
  let rank = -1;
  let size = 0;
  let ended = false;
  let settle!: (ok: boolean) => void;
  const started = new Promise<boolean>((resolve) => (settle = resolve));
  const inbox = new Inbox(port, (r, n) => {
    rank = r;
    size = n;
    settle(true);
  });
  const original = inbox.end.bind(inbox);
  inbox.end = () => {
    settle(false);
    original();
  };
  let exchange = 0;
  return {
    get rank() {
      return rank;
    },
    get size() {
      return size;
    },
    ready: started,
    async allReduce(values) {
      if (ended) throw new ShardEnded();
      const id = exchange++;
      port.postMessage({ type: 'values', exchange: id, values: values.slice() });
      const sum = await inbox.take(id);
      checkLength(values, sum);
      return sum;
    },
    end() {
      if (ended) return;
      ended = true;
      port.postMessage({ type: 'end' });
    },
  };
}

/** Two replicas joined by one port: replica 0 is the hub, replica 1 starts at once. */
export function portPeer(port: ShardPort, rank: 0 | 1): ShardPeer {
  if (rank === 0) {
    const hub = hubPeer([port]);
    port.postMessage({ type: 'start', rank: 1, size: 2 });
    return hub;
  }
  return spokePeer(port);
}

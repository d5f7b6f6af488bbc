/**
 * A small seedable random source (mulberry32). Initial weights, batch order and dropout masks all
 * come from it, so a fixed seed gives the same run on the CPU backend every time.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A 32-bit integer, e.g. a seed for a tfjs random op. */
  int(): number {
    return Math.floor(this.next() * 2147483647);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[] | Int32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }
}

/**
 * One epoch's training order: `into` (0..into.length-1, overwritten) shuffled by `random`, whose stream the
 * next epoch continues. The PyTorch runner (python/skipnet_data.py, epoch_order) draws the same order.
 */
export function epochOrder(random: SeededRandom, into: Int32Array): Int32Array {
  for (let i = 0; i < into.length; i++) into[i] = i;
  random.shuffle(into);
  return into;
}

/**
 * A bounded history of the statistics for the tooltip sparklines: the last `capacity` updates, in fixed
 * ring buffers (Float32Array per series), so thousands of updates use the same memory as `capacity`.
 * Series are named by owner (a layer or merge node id) and a key (a metric or a branch); an owner absent
 * from an update (the model was edited and the layer is gone) is dropped, a key absent for one update
 * gets a gap (NaN) in its line.
 */
export const HISTORY_CAPACITY = 100;

export class StatisticsHistory {
  private readonly steps: Float64Array;
  private appended = 0;
  private readonly owners = new Map<string, Map<string, Float32Array>>();

  constructor(readonly capacity = HISTORY_CAPACITY) {
    this.steps = new Float64Array(capacity);
  }

  /** Updates kept (at most `capacity`). */
  get length(): number {
    return Math.min(this.appended, this.capacity);
  }

  get size(): number {
    let series = 0;
    for (const keys of this.owners.values()) series += keys.size;
    return series;
  }

  /** Appends one update: every owner's values by key. */
  append(step: number, values: ReadonlyMap<string, ReadonlyMap<string, number>>): void {
    const slot = this.appended % this.capacity;
    this.steps[slot] = step;
    for (const owner of [...this.owners.keys()]) if (!values.has(owner)) this.owners.delete(owner);
    for (const [owner, entries] of values) {
      let series = this.owners.get(owner);
      if (!series) {
        series = new Map();
        this.owners.set(owner, series);
      }
      for (const [key, data] of series) data[slot] = entries.get(key) ?? Number.NaN;
      for (const [key, value] of entries) {
        if (series.has(key)) continue;
        const data = new Float32Array(this.capacity).fill(Number.NaN);
        data[slot] = value;
        series.set(key, data);
      }
    }
    this.appended++;
  }

  /** Oldest first; NaN where the series had no value at that update. Empty for an unknown series. */
  series(owner: string, key: string): number[] {
    const data = this.owners.get(owner)?.get(key);
    if (!data) return [];
    const length = this.length;
    const start = this.appended - length;
    const result = new Array<number>(length);
    for (let i = 0; i < length; i++) result[i] = data[(start + i) % this.capacity];
    return result;
  }

  has(owner: string): boolean {
    return this.owners.has(owner);
  }

  clear(): void {
    this.owners.clear();
    this.appended = 0;
  }
}

/**
 * Redraw throttling for views fed by training events. A run can send several progress and statistics events
 * per step from each of two workers; redrawing an Observable Plot figure (or a matrix of cells) on every one
 * of them can take the page's whole main thread on a loaded 2-core machine, so that the status line, the
 * Stop button and every other message wait behind a queue of redraws. A throttled view draws at most once
 * per interval: at once when the last drawing is older than that (so a lone update is never late), else once
 * at the end of the interval with the latest data. `flush` draws now (the end of a run shows its last points
 * at once); `cancel` forgets a pending drawing (the view is cleared or disposed).
 */
export class RedrawThrottle {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private drawnAt = -Infinity;

  /** @param draw draws the view from its current data. @param intervalMs the shortest time between two drawings (ms). */
  constructor(
    private readonly draw: () => void,
    private readonly intervalMs: number,
  ) {}

  /** Asks for a drawing: now, or at the end of the current interval (several requests make one drawing). */
  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.drawnAt + this.intervalMs - performance.now();
    if (wait <= 0) this.run();
    else this.timer = setTimeout(() => this.run(), wait);
  }

  /** Draws now, replacing any pending drawing. */
  flush(): void {
    this.run();
  }

  /** Drops a pending drawing without drawing. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Whether a drawing is waiting for its interval to end. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  private run(): void {
    this.cancel();
    this.drawnAt = performance.now();
    this.draw();
  }
}

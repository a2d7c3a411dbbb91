/**
 * A line saying what runs, for anything over a second: on a terminal one line redrawn in place
 * (cleared when done), elsewhere one plain line per step.
 */
export class Progress {
  /** Every progress line that may be on screen, so a signal can clear them before it speaks. */
  private static readonly active = new Set<Progress>();

  /** Stops and clears every progress line (on Ctrl-C, before the restore is reported). */
  static clearAll(): void {
    for (const progress of [...Progress.active]) progress.clear();
  }

  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private drawn = false;
  private readonly announced = new Set<string>();

  constructor(
    private readonly stream: { write(text: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly what = '',
  ) {}

  start(step: string): void {
    this.running.set(step, performance.now());
    Progress.active.add(this);
    this.timer ??= setInterval(() => this.tick(), this.stream.isTTY ? 250 : 1000);
    this.timer.unref();
  }

  stop(step: string): void {
    this.running.delete(step);
    if (!this.running.size) this.clear();
  }

  private tick(): void {
    const now = performance.now();
    const slow = [...this.running].filter(([, t]) => now - t >= 1000);
    if (!slow.length) return;
    if (this.stream.isTTY) {
      const parts = slow.map(([s, t]) => `${s} ${((now - t) / 1000).toFixed(0)}s`);
      this.stream.write(`\r\x1b[Kloom-guard: running ${parts.join(', ')}${this.what ? ` on ${this.what}` : ''}…`);
      this.drawn = true;
    } else {
      for (const [s] of slow) {
        if (this.announced.has(s)) continue;
        this.announced.add(s);
        this.stream.write(`loom-guard: running ${s}${this.what ? ` on ${this.what}` : ''}…\n`);
      }
    }
  }

  clear(): void {
    Progress.active.delete(this);
    this.running.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

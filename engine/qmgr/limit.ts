// A counting semaphore whose size is read at each release, so a settings change
// to delivery.concurrency takes effect without a restart. FIFO: the oldest
// waiter goes first, so a long flush cannot starve fresh mail forever.
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: () => number) {}

  get active(): number { return this.running; }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.size() && this.waiting.length === 0) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // release() counted our slot
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.running--;
    while (this.waiting.length > 0 && this.running < this.size()) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}

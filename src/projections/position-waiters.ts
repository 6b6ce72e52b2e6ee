interface Waiter {
  position: number;
  settle(reached: boolean): void;
}

/**
 * Callers waiting until a log position is reached (read-your-writes), each with its own timeout.
 * The owner says how far it is (`reached`) and calls settle() whenever that moves.
 */
export class PositionWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly reached: () => number) {}

  /** Waiters not settled yet. */
  get size(): number {
    return this.waiters.size;
  }

  /** Resolves true once `position` is reached, false after `timeoutMs`. */
  wait(position: number, timeoutMs: number): Promise<boolean> {
    if (position <= this.reached()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      const waiter: Waiter = {
        position,
        settle: (reached) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Answers every waiter whose position is reached now. */
  settle(): void {
    const reached = this.reached();
    for (const waiter of [...this.waiters]) if (waiter.position <= reached) waiter.settle(true);
  }
}

import { isDomainError } from '../../domain/shared/domain-error';

/** A task whose predecessor on one of its keys failed: it did not run, and is handed again after that one. */
export class PredecessorFailedError extends Error {
  constructor() {
    super('an earlier event on the same record failed; this one is handed again after it');
    this.name = 'PredecessorFailedError';
  }
}

interface Pending {
  /** True when the task is done or was refused by a rule (passed over); false when it failed. */
  readonly ok: Promise<boolean>;
}

/**
 * Orders the work of a process manager that the runner hands several events at once
 * (ProcessManager.concurrency): tasks on the same key run one after the other in the order they
 * were started, tasks on other keys meanwhile; a task `alone` runs after every task started before
 * it, and every task started after it waits for it. A task whose predecessor (still pending when it
 * was started) failed does not run and fails with PredecessorFailedError, so that the runner hands
 * both again, one at a time in log order: the records see the same order as without concurrency.
 * A rule's refusal (a DomainError) is not a failure: the runner passes over that event.
 */
export class KeyedSequence {
  private readonly tails = new Map<string, Pending>();
  private readonly pending = new Set<Pending>();
  private barrier: Pending | null = null;

  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const before = keys.map((key) => this.tails.get(key)).filter((p): p is Pending => p !== undefined);
    if (this.barrier) before.push(this.barrier);
    const { result, pending } = this.start(before, task);
    for (const key of keys) {
      this.tails.set(key, pending);
      void pending.ok.then(() => {
        if (this.tails.get(key) === pending) this.tails.delete(key);
      });
    }
    return result;
  }

  alone<T>(task: () => Promise<T>): Promise<T> {
    const { result, pending } = this.start([...this.pending], task);
    this.barrier = pending;
    void pending.ok.then(() => {
      if (this.barrier === pending) this.barrier = null;
    });
    return result;
  }

  /** Tasks started and not yet settled. */
  get size(): number {
    return this.pending.size;
  }

  private start<T>(before: Pending[], task: () => Promise<T>): { result: Promise<T>; pending: Pending } {
    const result =
      before.length === 0
        ? task()
        : Promise.all(before.map((p) => p.ok)).then((oks) => {
            if (!oks.every(Boolean)) throw new PredecessorFailedError();
            return task();
          });
    const pending: Pending = {
      ok: result.then(
        () => true,
        (error: unknown) => isDomainError(error),
      ),
    };
    this.pending.add(pending);
    void pending.ok.then(() => this.pending.delete(pending));
    return { result, pending };
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from '../ports/event-store.port';
import type { AppLogger } from '../ports/logger.port';

/** The longest wait between two tries to subscribe again. */
const MAX_BACKOFF_MS = 10_000;

/**
 * Follows the event log live from `from` (nothing is stored: a live feed starts at the head on
 * every start) and hands each event to `onEvent`, in order, until `signal` aborts. A failed
 * subscription is tried again from the last event handled, with a growing pause, so a feed
 * survives a store that hiccups. Resolves when aborted.
 */
export async function followLog(
  store: EventStore,
  options: { from: number; signal: AbortSignal; logger: AppLogger; name: string; onEvent: (event: RecordedEvent) => Promise<void> },
): Promise<void> {
  const { signal, logger, name, onEvent } = options;
  let after = options.from;
  for (let failures = 0; !signal.aborted;) {
    try {
      for await (const event of store.subscribeAll({ after, signal })) {
        await onEvent(event);
        after = event.position;
        failures = 0;
      }
    } catch (err) {
      if (signal.aborted) return;
      failures += 1;
      const retryInMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures);
      logger.warn({ err, position: after, retryInMs }, `${name}: subscription failed; resubscribing`);
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

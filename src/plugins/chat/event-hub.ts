import { PassThrough } from 'node:stream';

/** One open event stream of a visitor (a browser tab). */
interface Subscriber {
  stream: PassThrough;
  keepAlive: NodeJS.Timeout;
  inboxId: string;
  end(): void;
}

/**
 * The visitors' open event streams on this instance, by visitor (`<connectionId>:<visitorId>`).
 * In-process: a reply sent by another instance reaches the visitor at their next reconnect or
 * history load (docs/chat.md, "Several instances").
 */
export class VisitorEventHub {
  private readonly byVisitor = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly keepAliveMs = 20_000,
    /** Told the number of open streams whenever it changes (a gauge). */
    private readonly onCount: (streams: number) => void = () => undefined,
  ) {}

  private count = 0;

  /**
   * A new `text/event-stream` body for the visitor: keep-alive comments every 20 s, ended and
   * forgotten when `signal` aborts (the browser went away) or `closeAll` runs.
   */
  open(visitorKey: string, inboxId: string, signal: AbortSignal | undefined): PassThrough {
    const stream = new PassThrough();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(subscriber.keepAlive);
      const set = this.byVisitor.get(visitorKey);
      set?.delete(subscriber);
      this.onCount(--this.count);
      if (set?.size === 0) this.byVisitor.delete(visitorKey);
      if (!stream.writableEnded) stream.end();
    };
    const subscriber: Subscriber = { stream, inboxId, end, keepAlive: setInterval(() => stream.write(': keep-alive\n\n'), this.keepAliveMs) };
    subscriber.keepAlive.unref();
    let subscribers = this.byVisitor.get(visitorKey);
    if (!subscribers) this.byVisitor.set(visitorKey, (subscribers = new Set()));
    subscribers.add(subscriber);
    this.onCount(++this.count);
    stream.on('close', end);
    stream.on('error', end);
    if (signal?.aborted) end();
    else signal?.addEventListener('abort', end, { once: true });
    // The reconnect delay EventSource uses after a drop, then an opening comment so proxies pass the headers on at once.
    stream.write('retry: 3000\n: connected\n\n');
    return stream;
  }

  /** Sends one event to every open stream of the visitor; answers how many streams got it. */
  publish(visitorKey: string, event: string, data: unknown): number {
    const subscribers = this.byVisitor.get(visitorKey);
    if (!subscribers) return 0;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const subscriber of subscribers) subscriber.stream.write(frame);
    return subscribers.size;
  }

  /** How many streams the visitor has open here (tabs). */
  streamsOf(visitorKey: string): number {
    return this.byVisitor.get(visitorKey)?.size ?? 0;
  }

  isConnected(visitorKey: string): boolean {
    return this.byVisitor.has(visitorKey);
  }

  /** Each visitor with an open stream, and their inbox (for availability changes). */
  connectedVisitors(): { visitorKey: string; inboxId: string }[] {
    const visitors: { visitorKey: string; inboxId: string }[] = [];
    for (const [visitorKey, subscribers] of this.byVisitor) {
      const [first] = subscribers;
      if (first) visitors.push({ visitorKey, inboxId: first.inboxId });
    }
    return visitors;
  }

  /** Ends every stream whose visitor key starts with `prefix` (a removed connection: `<cid>:`), or all. */
  closeAll(prefix = ''): void {
    for (const [key, subscribers] of [...this.byVisitor]) {
      if (!key.startsWith(prefix)) continue;
      for (const subscriber of [...subscribers]) subscriber.end();
    }
  }

  get streamCount(): number {
    return this.count;
  }
}

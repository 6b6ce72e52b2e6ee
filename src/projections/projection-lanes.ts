import type { ProjectionProgress } from '../application/ports/read-store.port';
import type { ProjectionRunner } from './projection-runner';

/** How long a search waits for the search lane before it answers from what is indexed. */
export const SEARCH_CATCH_UP_MS = 2000;

/**
 * What the embedded read side needs of its projection lanes, wherever they run: here
 * (ProjectionLanes) or in a thread of their own (ThreadedProjectionLanes, projection-thread.ts).
 */
export interface ReadSideLanes extends ProjectionProgress {
  start(): void;
  /** Resolves once the lanes stopped, with what they had received applied. */
  stop(): Promise<void>;
  /** What a command's answer waits for: every read model but the search index. */
  waitForViews(position: number, timeoutMs: number): Promise<boolean>;
  /** Before a search: the index holds at least what the views show (false after SEARCH_CATCH_UP_MS). */
  searchCaughtUp(): Promise<boolean>;
  /** The views lane's position: a generation the read store may keep answers against. */
  viewsPosition(): number;
  /** The search lane's position. */
  searchPosition(): number;
}

/**
 * The embedded read models in two lanes over one connection, each a ProjectionRunner with its
 * own subscription, batches and checkpoints:
 *
 * - `views`: everything but the search index. Every command waits for it (read-your-writes), so
 *   it applies in short batches, at most one per 10 ms under load.
 * - `search`: the search index alone (FTS5, the costliest read model per event). No command waits
 *   for it; it applies in long batches, at most one per 100 ms under load, at once when idle.
 *   A search or a filtered count first waits until this lane has applied what the views lane has
 *   (searchCaughtUp), which hurries it: a search still shows every acknowledged message, and the
 *   index lags the log by at most its interval plus one batch while nobody searches.
 *
 * The lanes need nothing from each other (the rebuild already builds the search index apart).
 * Tests and tools that wait for "the read models" use waitFor, which waits for both.
 */
export class ProjectionLanes implements ReadSideLanes {
  constructor(
    readonly views: ProjectionRunner,
    readonly search: ProjectionRunner,
  ) {}

  prepare(): void {
    this.views.prepare();
    this.search.prepare();
  }

  start(): void {
    this.views.start();
    this.search.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.views.stop(), this.search.stop()]);
  }

  /** The log position every projection of both lanes has applied (health and metrics). */
  position(): number {
    return Math.min(this.views.position(), this.search.position());
  }

  /** Both lanes at `position`: every read model shows it. */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    const [views, search] = await Promise.all([this.views.waitFor(position, timeoutMs), this.search.waitFor(position, timeoutMs)]);
    return views && search;
  }

  /** What a command's answer waits for: every read model but the search index. */
  waitForViews(position: number, timeoutMs: number): Promise<boolean> {
    return this.views.waitFor(position, timeoutMs);
  }

  /** Before a search: the index holds at least what the views show (false after SEARCH_CATCH_UP_MS). */
  searchCaughtUp(): Promise<boolean> {
    return this.search.waitFor(this.views.position(), SEARCH_CATCH_UP_MS);
  }

  viewsPosition(): number {
    return this.views.position();
  }

  searchPosition(): number {
    return this.search.position();
  }
}

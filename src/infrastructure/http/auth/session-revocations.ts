import { Injectable } from '@nestjs/common';

/** A session that ended: one login (`sessionId`), or every session of the agent (a new password). */
export interface EndedSessionNotice {
  agentId: string;
  sessionId?: string;
}

/**
 * Tells this instance's open live-event streams at once that a session ended here. Only a
 * shortcut: the streams also re-check their session in the shared read store, which is what
 * ends them when the logout happened on another instance.
 */
@Injectable()
export class SessionRevocations {
  private readonly listeners = new Set<(notice: EndedSessionNotice) => void>();

  subscribe(listener: (notice: EndedSessionNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ended(notice: EndedSessionNotice): void {
    for (const listener of [...this.listeners]) listener(notice);
  }
}

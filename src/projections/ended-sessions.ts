export interface EndedSession {
  id: string;
  expiresAt: string;
}

/**
 * The ended sessions after one more: those whose token has expired by the time of the event are
 * dropped (their token is refused anyway), so the list stays as short as the sessions in use.
 * Applying the same event twice gives the same list.
 */
export function withEndedSession(ended: readonly EndedSession[], data: { sessionId: string; expiresAt: string }, occurredAt: string): EndedSession[] {
  const at = Date.parse(occurredAt);
  return [...ended.filter((s) => s.id !== data.sessionId && Date.parse(s.expiresAt) > at), { id: data.sessionId, expiresAt: data.expiresAt }];
}

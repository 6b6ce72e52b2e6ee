import { normaliseSubject } from './subject';
import type { ThreadIndex } from './thread-index';

export interface ThreadingInput {
  messageId: string;
  inReplyTo: string[];
  references: string[];
  /** A bounce's reported message: it belongs to that message's thread. */
  reportedMessageId?: string | null;
  subject: string;
  sender: string;
  receivedAt: Date;
}

export type ThreadMatch = 'redelivery' | 'headers' | 'report' | 'subject' | 'unknown-parent' | 'new';

export interface ResolvedThread {
  /** The thread root's Message-ID: the conversation's externalThreadId. */
  root: string;
  via: ThreadMatch;
}

/** How long a subject from the same sender keeps pointing at its thread (the subject fallback). */
export const SUBJECT_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Which thread an inbound email belongs to, in this order:
 * 1. its own Message-ID was seen before (a retried delivery): the same thread as then;
 * 2. In-Reply-To, then References from the nearest to the oldest: the first one the index knows;
 *    a bounce: the thread of the message it reports on;
 * 3. subject fallback: same sender (or, for our own emails, recipient), same subject once reply/forward markers are
 *    stripped ("Re:", "Fwd:", "AW:", "SV:" …), the thread active within the last 30 days —
 *    only for a message that says it continues something (a marker, or parents we never saw), so
 *    two separate "Order status" emails a week apart stay two conversations;
 * 4. parents we never saw (cc'd mid-thread): the oldest Reference, the root as the sender knows it,
 *    so later messages of that thread join it;
 * 5. otherwise a new thread rooted at the message itself.
 */
export async function resolveThread(index: ThreadIndex, input: ThreadingInput, subjectWindowMs = SUBJECT_WINDOW_MS): Promise<ResolvedThread> {
  const own = await index.message(input.messageId);
  if (own) return { root: own.root, via: 'redelivery' };

  const parents = [...input.inReplyTo, ...[...input.references].reverse()].filter((id) => id !== input.messageId);
  for (const parent of parents) {
    const known = await index.message(parent);
    if (known) return { root: known.root, via: 'headers' };
  }
  if (input.reportedMessageId) {
    const reported = await index.message(input.reportedMessageId);
    if (reported) return { root: reported.root, via: 'report' };
  }

  const { subject, hadMarker } = normaliseSubject(input.subject);
  if (subject !== '' && (hadMarker || parents.length > 0)) {
    const entry = await index.subject(input.sender, subject);
    if (entry && input.receivedAt.getTime() - Date.parse(entry.at) <= subjectWindowMs) return { root: entry.root, via: 'subject' };
  }

  const oldestParent = input.references.find((id) => id !== input.messageId) ?? parents[0];
  if (oldestParent) return { root: oldestParent, via: 'unknown-parent' };
  return { root: input.messageId, via: 'new' };
}

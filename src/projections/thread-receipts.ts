import type { DeliveryView, ReactionView } from '../application/ports/read-store.port';
import type { ReplyReceipt } from '../domain/conversation/conversation.events';
import type { Party } from '../domain/shared/types';

/**
 * What the thread read models (SQLite, MongoDB and the `?at=` fold) share about receipts and
 * reactions, so that the three answer alike. Pure.
 */

/** A reply's delivery as the delivery job recorded it (ReplyDelivered, ReplyDeliveryFailed). */
export interface StoredDelivery {
  status: DeliveryView['status'];
  reason: string | null;
}

/** What the channel last reported of a reply (ReplyStatusReported): the domain records only receipts that move it forward. */
export interface StoredReceipt {
  status: ReplyReceipt;
  reason: string | null;
  at: string;
}

/**
 * The delivery shown for an outbound message: the job's own result, unless the channel reported
 * more. A receipt counts even when the webhook beat the job (the reply is then still `queued` in
 * the job's eyes): the channel has it. A failure reported after the channel took the reply makes
 * it `failed` with the channel's reason; a later `delivered` or `read` (only ever forward) wins
 * over that failure.
 */
export function deliveryView(delivery: StoredDelivery | null, receipt: StoredReceipt | null): DeliveryView {
  if (receipt?.status === 'failed')
    return receipt.reason === null ? { status: 'failed', at: receipt.at } : { status: 'failed', reason: receipt.reason, at: receipt.at };
  if (receipt) return { status: 'delivered', receipt: receipt.status, at: receipt.at };
  const status = delivery?.status ?? 'queued';
  return delivery?.reason == null ? { status } : { status, reason: delivery.reason };
}

/** A contact's reaction recorded on a message: replaces theirs (one per contact), an empty emoji removes it. */
export function withReaction(reactions: readonly ReactionView[], reaction: { from: Party; emoji: string; receivedAt: string }): ReactionView[] {
  const others = reactions.filter((r) => r.from.address !== reaction.from.address);
  if (reaction.emoji === '') return others;
  return [...others, { emoji: reaction.emoji, from: partyOf(reaction.from), at: reaction.receivedAt }];
}

function partyOf(party: Party): Party {
  return party.name ? { address: party.address, name: party.name } : { address: party.address };
}

import { hash } from 'node:crypto';
import { normalizeAddress } from '../domain/shared/address';

/** Stream names: one place, so adapters, projections and the audit tools agree. */
export const streams = {
  conversation: (id: string) => `conversation-${id}`,
  agent: (id: string) => `agent-${id}`,
  agentEmail: (email: string) => `agent-email-${email.trim().toLowerCase()}`,
  /** Who the admins are (never fewer than one). */
  adminRoster: () => 'admin-roster',
  /** First-run setup attempts (one at a time). */
  setup: () => 'setup',
  inbox: (id: string) => `inbox-${id}`,
  senderPolicy: (inboxId: string, address: string) => `sender-${inboxId}-${normalizeAddress(address)}`,
  customView: (id: string) => `custom-view-${id}`,
  /** A channel plugin connected to an inbox (chat on a website, a Messenger page …). */
  channelConnection: (id: string) => `channel-connection-${id}`,
  /** A bot of an inbox (flow or webhook). */
  bot: (id: string) => `bot-${id}`,
  /** Auto-assignment's ledger of an inbox: who holds what, who waits, who was handed what (one writer at a time by revision). */
  routing: (inboxId: string) => `routing-${inboxId}`,
  /** An agent's notifications (mentions, assignments, handoffs, new messages) and which were read. */
  notifications: (agentId: string) => `notifications-${agentId}`,
  /** A contact record (docs/contacts.md). */
  contact: (id: string) => `contact-${id}`,
  /** Every merge of contacts, one writer at a time by revision (its name must not start with `contact-`). */
  contactMerges: () => 'contacts-merge-ledger',
  /** A company record. */
  company: (id: string) => `company-${id}`,
  /** A ticket record (its conversation's stream holds the link). */
  ticket: (id: string) => `ticket-${id}`,
  /** Account-wide settings of the records: custom properties, card properties, free-mail domains. */
  recordSettings: () => 'record-settings',
};

export const CONVERSATION_STREAM_PREFIX = 'conversation-';

export function conversationIdFromStream(streamId: string): string | null {
  return streamId.startsWith(CONVERSATION_STREAM_PREFIX) ? streamId.slice(CONVERSATION_STREAM_PREFIX.length) : null;
}

/**
 * Name-based UUID (RFC 9562 version 5, SHA-1). Ids derived from outside keys make redelivery
 * idempotent: the same thread always maps to the same conversation, the same message to the
 * same event id, without a lookup table that could race.
 */
export function uuidV5(name: string, namespace: string = PARLEY_NAMESPACE): string {
  // Several ids are derived per inbound message: Parley's own namespace is converted once, and
  // the one-shot hash() costs less than a Hash object for inputs this small (same digest).
  const ns = namespace === PARLEY_NAMESPACE ? PARLEY_NAMESPACE_BYTES : namespaceBytes(namespace);
  const digest = sha1(Buffer.concat([ns, Buffer.from(name, 'utf8')]));
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const PARLEY_NAMESPACE = '6f1c2a4e-8b0d-4b8e-9a57-3d2f6c1e9b70';

function namespaceBytes(namespace: string): Buffer {
  return Buffer.from(namespace.replace(/-/g, ''), 'hex');
}

const PARLEY_NAMESPACE_BYTES = namespaceBytes(PARLEY_NAMESPACE);

function sha1(data: Buffer): Buffer {
  return hash('sha1', data, 'buffer');
}

export const deriveIds = {
  conversation: (inboxId: string, channel: string, externalThreadId: string) => uuidV5(`conversation\u0000${inboxId}\u0000${channel}\u0000${externalThreadId}`),
  /** The contact record a sender address creates when no contact holds its identity yet (docs/contacts.md). */
  contact: (address: string) => uuidV5(`contact\u0000${normalizeAddress(address)}`),
  /** The company an email domain creates (lower-case domain). */
  company: (domain: string) => uuidV5(`company\u0000${domain.trim().toLowerCase()}`),
  message: (conversationId: string, externalMessageId: string) => uuidV5(`message\u0000${conversationId}\u0000${externalMessageId}`),
  /** Event ids of a command's result: deterministic when the command is (redelivery-safe). */
  event: (causationId: string, index: number) => uuidV5(`event\u0000${causationId}\u0000${index}`),
};

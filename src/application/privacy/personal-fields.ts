/**
 * Which values of which events are personal data (docs/privacy.md): the sealing layer over the
 * event store (infrastructure/event-store/sealed-event-store.ts) encrypts exactly these with the
 * stream's subject key, and a reader whose key was destroyed gets the redacted value of the
 * field's kind instead. One table, so the events' authors see in one place what an erasure
 * takes away.
 *
 * Only the streams named in SEALED_STREAM_PREFIXES are sealed; ids, times, states, agent ids and
 * the event types themselves never are (the audit trail keeps them).
 */

/**
 * How a personal value reads once its key is gone. Each kind keeps the shape readers expect
 * (a string stays a string, a party stays a party), so deciders, projections and views never
 * meet a missing field.
 */
export type PersonalKind = 'text' | 'address' | 'filename' | 'party' | 'parties' | 'list' | 'map';

/** What an erased address reads as (a party's, an identity's, a contact actor's). */
export const ERASED_ADDRESS = 'erased';

export function redactedValue(kind: PersonalKind): unknown {
  switch (kind) {
    case 'text':
      return '';
    case 'address':
      return ERASED_ADDRESS;
    case 'filename':
      return 'erased';
    case 'party':
      return { address: ERASED_ADDRESS };
    case 'parties':
    case 'list':
      return [];
    case 'map':
      return {};
  }
}

/** Streams whose events are sealed: one subject (and key) per stream. */
export const SEALED_STREAM_PREFIXES = ['conversation-', 'contact-', 'ticket-'] as const;

export function isSealedStream(streamId: string): boolean {
  return SEALED_STREAM_PREFIXES.some((prefix) => streamId.startsWith(prefix));
}

/**
 * Event type -> path -> kind. A path is dotted; `[]` applies the rest to every element of an
 * array (`attachments[].filename`). Absent values stay absent.
 */
export const PERSONAL_FIELDS: Readonly<Record<string, Readonly<Record<string, PersonalKind>>>> = {
  // conversation-<id>
  ConversationStarted: { externalThreadId: 'address', 'contact.address': 'address', 'contact.name': 'text', subject: 'text' },
  MessageReceived: {
    from: 'party',
    to: 'parties',
    cc: 'parties',
    toOthers: 'parties',
    subject: 'text',
    text: 'text',
    html: 'text',
    'attachments[].filename': 'filename',
    fields: 'list',
  },
  ReplyQueued: {
    to: 'parties',
    cc: 'parties',
    subject: 'text',
    text: 'text',
    html: 'text',
    'attachments[].filename': 'filename',
    'template.parameters': 'list',
  },
  // A relay's refusal often quotes the recipient ("550 <ada@...>: no such user").
  ReplyDeliveryFailed: { reason: 'text' },
  ConversationForwarded: { to: 'parties', note: 'text', subject: 'text', text: 'text', html: 'text' },
  TranscriptSent: { to: 'parties', subject: 'text', text: 'text', html: 'text' },
  CommentAdded: { text: 'text' },
  ConversationFiltered: { address: 'address' },
  ConversationUnfiltered: { address: 'address' },
  TicketCreated: { name: 'text' },
  ContactLinked: { address: 'address', name: 'text' },
  ContactEmailProvided: { address: 'address' },
  ReactionReceived: { from: 'party' },
  // contact-<id>
  ContactCreated: { 'identities[].value': 'address', name: 'text' },
  ContactIdentityAdded: { 'identity.value': 'address' },
  ContactIdentityRemoved: { 'identity.value': 'address' },
  ContactPropertiesChanged: { name: 'text', jobTitle: 'text', custom: 'map' },
  ContactMergedIn: { 'identities[].value': 'address', filled: 'map' },
  // ticket-<id>
  TicketOpened: { name: 'text' },
  TicketChanged: { name: 'text', custom: 'map' },
};

type Path = readonly string[];

const PATHS: ReadonlyMap<string, ReadonlyArray<[Path, PersonalKind]>> = new Map(
  Object.entries(PERSONAL_FIELDS).map(([type, fields]) => [
    type,
    Object.entries(fields).map(([path, kind]) => [path.split('.'), kind] as [Path, PersonalKind]),
  ]),
);

/** Whether events of this type carry personal values at all. */
export function hasPersonalFields(type: string): boolean {
  return PATHS.has(type);
}

/**
 * A copy of `data` with every personal value present replaced by `replace(value, kind)`; the
 * same object when the type has none. Never changes `data` itself.
 */
export function mapPersonalFields(
  type: string,
  data: Record<string, unknown>,
  replace: (value: unknown, kind: PersonalKind) => unknown,
): Record<string, unknown> {
  const paths = PATHS.get(type);
  if (paths === undefined) return data;
  let result: unknown = data;
  for (const [path, kind] of paths) result = mapAt(result, path, 0, kind, replace);
  return result as Record<string, unknown>;
}

function mapAt(node: unknown, path: Path, index: number, kind: PersonalKind, replace: (value: unknown, kind: PersonalKind) => unknown): unknown {
  if (node === null || typeof node !== 'object') return node;
  const segment = path[index];
  const each = segment.endsWith('[]');
  const key = each ? segment.slice(0, -2) : segment;
  const record = node as Record<string, unknown>;
  if (Array.isArray(node) || !Object.prototype.hasOwnProperty.call(record, key) || record[key] === undefined) return node;
  const value = record[key];
  let next: unknown;
  if (each) {
    if (!Array.isArray(value)) return node;
    next = value.map((element) => (index === path.length - 1 ? replace(element, kind) : mapAt(element, path, index + 1, kind, replace)));
  } else {
    next = index === path.length - 1 ? replace(value, kind) : mapAt(value, path, index + 1, kind, replace);
  }
  return next === value ? node : { ...record, [key]: next };
}

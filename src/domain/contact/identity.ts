import { normalizeAddress } from '../shared/address';

/**
 * How a contact is recognised when they write: an email address, a phone number (WhatsApp), a
 * Messenger user of a page, a verified chat visitor, or a third-party channel's own address. One
 * contact can hold several identities; one identity belongs to at most one live contact.
 */
export type IdentityKind = 'email' | 'phone' | 'messenger' | 'chat' | 'other';

export interface ContactIdentity {
  kind: IdentityKind;
  /** Normalised: email lower-case, phone E.164 digits with `+`, the others trimmed. */
  value: string;
  /** For `other` only: the channel whose address it is (a third-party plugin id). */
  channel?: string;
}

/** `email:ann@example.com`, `phone:+31612345678`, `other:signed-webhook:abc`: the identity's unique key. */
export function identityKey(identity: ContactIdentity): string {
  return identity.kind === 'other' ? `other:${identity.channel ?? ''}:${identity.value}` : `${identity.kind}:${identity.value}`;
}

/** A phone number as E.164 (`+` and digits), or null when it is not one. */
export function normalizePhone(value: string): string | null {
  const digits = value.replace(/[\s().-]/g, '');
  const match = /^(?:\+|00)?([1-9]\d{6,14})$/.exec(digits);
  return match ? `+${match[1]}` : null;
}

/**
 * The identity a channel's sender address stands for. An address with `@` is an email address on
 * every channel (a chat visitor who gave theirs, a form's sender); WhatsApp addresses are phone
 * numbers; Messenger's are page-scoped user ids; chat's are visitor ids.
 */
export function identityOf(channel: string, address: string): ContactIdentity {
  const normalized = normalizeAddress(address);
  if (normalized.includes('@')) return { kind: 'email', value: normalized };
  if (channel === 'whatsapp') {
    const phone = normalizePhone(normalized);
    if (phone) return { kind: 'phone', value: phone };
  }
  if (channel === 'messenger') return { kind: 'messenger', value: normalized };
  if (channel === 'chat') return { kind: 'chat', value: normalized };
  return { kind: 'other', channel, value: normalized };
}

/** The lower-case domain of an email address, or null. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1) return null;
  const domain = email
    .slice(at + 1)
    .trim()
    .toLowerCase();
  return /^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain) ? domain : null;
}

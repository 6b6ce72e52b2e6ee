import { isEmailAddress, normalizeAddress } from '../shared/address';
import { invalidInput } from '../shared/domain-error';
import type { Party } from '../shared/types';

/** The most addresses a reply's To, and its Cc, may each name: more is a mailing, not a reply. */
export const MAX_REPLY_RECIPIENTS = 50;

/**
 * A reply's To or Cc as given (`field` is `to` or `cc`): each an email address, at most
 * MAX_REPLY_RECIPIENTS, the same address (compared normalised) kept once with the first name given.
 * A refusal names the entry (`cc[2]`) and its value.
 */
export function checkedRecipients(parties: readonly Party[], field: 'to' | 'cc'): Party[] {
  if (!Array.isArray(parties)) throw invalidInput('reply-recipients-not-list', '{{field}} must be a list of email addresses', { field });
  if (parties.length > MAX_REPLY_RECIPIENTS) {
    throw invalidInput('reply-recipients-too-many', '{{field}} may name at most {{max}} addresses (it names {{count}})', {
      field,
      max: MAX_REPLY_RECIPIENTS,
      count: parties.length,
    });
  }
  const checked: Party[] = [];
  parties.forEach((party, i) => {
    const raw = typeof party?.address === 'string' ? party.address.trim() : '';
    if (!isEmailAddress(raw)) {
      throw invalidInput('reply-recipient-invalid', '{{field}} must be an email address, got {{value}}', {
        field: `${field}[${i}]`,
        value: JSON.stringify(party?.address ?? null),
      });
    }
    const address = normalizeAddress(raw);
    if (checked.some((p) => p.address === address)) return;
    const name = typeof party.name === 'string' && party.name.trim() !== '' ? party.name.trim() : undefined;
    checked.push(name ? { address, name } : { address });
  });
  return checked;
}

/**
 * Reply-all: To the contact, Cc everyone else who took part in the thread (participants), except
 * the addresses in `excluded` (the inbox's own, the agents'): the team never copies itself.
 * Only email addresses are copied; the contact is never in Cc as well.
 */
export function replyAllRecipients(contact: Party, participants: readonly Party[], excluded: Iterable<string>): { to: Party[]; cc: Party[] } {
  const skip = new Set([...excluded].map(normalizeAddress));
  const contactAddress = normalizeAddress(contact.address);
  const cc: Party[] = [];
  for (const party of participants) {
    const address = normalizeAddress(party.address);
    if (address === contactAddress || skip.has(address) || !isEmailAddress(address) || cc.some((p) => p.address === address)) continue;
    cc.push(party.name ? { address, name: party.name } : { address });
  }
  return { to: [contact], cc: cc.slice(0, MAX_REPLY_RECIPIENTS) };
}

import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../src/application/ports/event-store.port';
import { recordEvent } from '../contracts/record-store.contract';
import { at, conversationEvent as e, newEvent } from './fixtures';

const email = (value: string) => ({ kind: 'email' as const, value });

/**
 * One history the records read models are checked against (the embedded projection's suite and the
 * MongoDB one's): contacts whose conversations come before their records, a company, tickets
 * changed and removed, a merge, conversations started for and linked to the contact merged away,
 * splits from either side, links, an unlink, a delete, an erasure that empties a ticket's name,
 * and the record settings.
 */
export function recordsScenario() {
  const inboxes = ['inbox-a', 'inbox-b'];
  const contacts = Array.from({ length: 6 }, (_, i) => ({ id: randomUUID(), address: `person${i}@example.com` }));
  const steps: Array<[string, NewEvent]> = [];
  const conversations: Array<{ id: string; contact: (typeof contacts)[number] }> = [];
  const company = randomUUID();
  steps.push([`company-${company}`, recordEvent.companyCreated(company, 'Acme', 'example.com')]);
  contacts.forEach((c, i) => {
    for (let n = 0; n < 2; n++) {
      const id = randomUUID();
      conversations.push({ id, contact: c });
      steps.push([
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId: inboxes[(i + n) % 2], contact: { id: c.id, address: c.address }, startedAt: at(i) }),
      ]);
      steps.push([`conversation-${id}`, e.received({ receivedAt: at(i * 3 + n), from: { address: c.address } })]);
    }
    steps.push([`contact-${c.id}`, recordEvent.contactCreated(c.id, [email(c.address)], `Person ${i}`, at(i))]);
    if (i % 2 === 0) steps.push([`contact-${c.id}`, recordEvent.propertiesChanged({ companyId: company, custom: { tier: `t${i}` } })]);
  });
  steps.push([`company-${company}`, recordEvent.companyChanged({ name: 'Acme BV', custom: { size: 12 } })]);
  const tickets = conversations.slice(0, 4).map(({ id }, i) => {
    const ticketId = randomUUID();
    steps.push([`conversation-${id}`, e.ticketCreated(ticketId, `Ticket ${i}`)]);
    steps.push([`ticket-${ticketId}`, recordEvent.ticketOpened(ticketId, id, 'inbox-a', `Ticket ${i}`, { openedAt: at(20 + i) })]);
    return ticketId;
  });
  const ofC5 = conversations.filter((c) => c.contact === contacts[5]).map((c) => c.id);
  const ticketOfC5 = randomUUID();
  steps.push([`conversation-${ofC5[0]}`, e.ticketCreated(ticketOfC5, 'Personal')]);
  steps.push([`ticket-${ticketOfC5}`, recordEvent.ticketOpened(ticketOfC5, ofC5[0], 'inbox-b', 'Personal', { openedAt: at(25) })]);
  steps.push([`ticket-${tickets[0]}`, recordEvent.ticketChanged({ status: 'closed', ownerId: 'agent-bo' })]);
  steps.push([`ticket-${tickets[1]}`, recordEvent.ticketChanged({ name: 'Renamed', priority: 'high', custom: { reason: 'x' } })]);
  steps.push([`ticket-${tickets[3]}`, recordEvent.ticketRemoved()]);
  const [c0, c1, c2, c3, c4] = contacts;
  steps.push([`contact-${c1.id}`, recordEvent.merged(c0.id)]);
  steps.push([`contact-${c0.id}`, recordEvent.mergedIn(c1.id, [email(c1.address)], { jobTitle: 'Owner' })]);
  // Started for, and linked to, the contact merged away (resolved before the merge was projected): contact 0's.
  const late = randomUUID();
  steps.push([`conversation-${late}`, e.started({ conversationId: late, inboxId: 'inbox-b', contact: { id: c1.id, address: c1.address }, startedAt: at(45) })]);
  steps.push([`conversation-${late}`, e.received({ receivedAt: at(46), from: { address: c1.address } })]);
  steps.push([`conversation-${conversations[10].id}`, recordEvent.linked(c1.id, c1.address)]);
  steps.push([`contact-${c2.id}`, recordEvent.identityAdded(email('second@example.com'))]);
  const second = randomUUID();
  steps.push([`conversation-${second}`, e.started({ conversationId: second, inboxId: 'inbox-b', contact: { id: c2.id, address: 'second@example.com' } })]);
  steps.push([`conversation-${second}`, e.replied({ authorId: 'agent-bo', queuedAt: at(40) })]);
  const split = randomUUID();
  steps.push([`contact-${c2.id}`, recordEvent.identityRemoved(email('second@example.com'), split)]);
  steps.push([`contact-${split}`, recordEvent.contactCreated(split, [email('second@example.com')], undefined, at(41), { source: 'split', splitFrom: c2.id })]);
  const ofC3 = conversations.find((c) => c.contact === c3)!.id;
  const ofC4 = conversations.filter((c) => c.contact === c4).map((c) => c.id);
  steps.push([`conversation-${ofC3}`, recordEvent.linked(c4.id, c3.address)]);
  // The conversation linked to contact 4 split off again, the new contact's side of the split first.
  const splitAgain = randomUUID();
  steps.push([`contact-${splitAgain}`, recordEvent.contactCreated(splitAgain, [email(c3.address)], undefined, at(42), { source: 'split', splitFrom: c4.id })]);
  steps.push([`contact-${c4.id}`, recordEvent.identityRemoved(email(c3.address), splitAgain)]);
  steps.push([`conversation-${ofC4[0]}`, e.contactUnlinked(c4.id)]);
  steps.push([`conversation-${ofC4[1]}`, e.deleted()]);
  steps.push([`contact-${contacts[5].id}`, recordEvent.erased(ofC5, [ticketOfC5])]);
  steps.push(['record-settings', newEvent('PropertyDefined', { object: 'contact', key: 'tier', label: 'Tier', type: 'text' })]);
  steps.push(['record-settings', newEvent('PropertyDefined', { object: 'ticket', key: 'reason', label: 'Reason', type: 'choice', options: ['x', 'y'] })]);
  steps.push(['record-settings', newEvent('PropertyChanged', { object: 'ticket', key: 'reason', label: 'Why' })]);
  steps.push(['record-settings', newEvent('PropertyDefined', { object: 'company', key: 'size', label: 'Size', type: 'number' })]);
  steps.push(['record-settings', newEvent('PropertyArchived', { object: 'company', key: 'size' })]);
  steps.push(['record-settings', newEvent('CardPropertiesChosen', { object: 'contact', keys: ['tier'] })]);
  steps.push(['record-settings', newEvent('FreeMailDomainsSet', { domains: ['gmail.com'] })]);
  return {
    steps,
    contacts,
    conversations,
    second,
    split,
    contactIds: [...contacts.map((c) => c.id), split, randomUUID(), splitAgain],
    tickets: [...tickets, ticketOfC5],
    company,
  };
}

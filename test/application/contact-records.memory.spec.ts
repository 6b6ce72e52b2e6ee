import { ContactRecordsMemory } from '../../src/application/contacts/contact-records.memory';
import type { ContactState } from '../../src/domain/contact/contact.decider';

/** What the contact-records manager remembers answers only until the views lane shows it. */
describe('ContactRecordsMemory', () => {
  const named: ContactState = { status: 'active', contactId: 'c1', identities: [], name: 'Ann', jobTitle: null, companyId: 'co-1', custom: {} };

  it('answers while the views lane is behind the position it remembers, then leaves it to the read models and forgets it', () => {
    let projected = 10;
    const memory = new ContactRecordsMemory(() => projected);
    memory.rememberContact('c1', named, 12);
    memory.rememberCompany('acme.test', 'co-1', 11);
    expect(memory.contact('c1')).toBe(named);
    expect(memory.companyOfDomain('acme.test')).toBe('co-1');

    projected = 11;
    expect(memory.companyOfDomain('acme.test')).toBeUndefined();
    expect(memory.contact('c1')).toBe(named);
    projected = 12;
    expect(memory.contact('c1')).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it("a conversation's contact, met in the log in order, is kept whatever the views lane shows, the most recent first", () => {
    let projected = 0;
    const memory = new ContactRecordsMemory(() => projected, 100, 3);
    for (const id of ['k1', 'k2', 'k3']) memory.rememberConversation(id, { contactId: `c-${id}`, address: `${id}@acme.test`, channel: 'email' });
    projected = 1_000;
    expect(memory.conversation('k1')).toEqual({ contactId: 'c-k1', address: 'k1@acme.test', channel: 'email' });
    // Linked to another contact: the newer fact replaces it; the least recently met goes beyond the limit.
    memory.rememberConversation('k1', { contactId: 'c-other', address: 'k1@acme.test', channel: 'email' });
    memory.rememberConversation('k4', { contactId: 'c-k4', address: 'k4@acme.test', channel: 'email' });
    expect(memory.conversation('k2')).toBeUndefined();
    expect(memory.conversation('k1')?.contactId).toBe('c-other');
    memory.forgetConversation('k1');
    expect(memory.conversation('k1')).toBeUndefined();
    expect(memory.size).toBe(2);
  });

  it('keeps nothing the read models hold already', () => {
    const memory = new ContactRecordsMemory(() => 20);
    memory.rememberContact('c1', named, 20);
    memory.rememberCompany('acme.test', 'co-1', 5);
    expect(memory.size).toBe(0);
    expect(memory.contact('c1')).toBeUndefined();
  });

  it('a newer fact replaces the older one', () => {
    const memory = new ContactRecordsMemory(() => 0);
    memory.rememberContact('c1', { ...named, name: null }, 3);
    memory.rememberContact('c1', named, 4);
    expect(memory.contact('c1')).toBe(named);
    expect(memory.size).toBe(1);
  });

  it('stays bounded: what the views lane shows is dropped as new facts come, and never more than the limit is held', () => {
    let projected = 0;
    const memory = new ContactRecordsMemory(() => projected, 100);
    for (let i = 1; i <= 1000; i += 1) memory.rememberContact(`c${i}`, named, i);
    expect(memory.size).toBe(100);
    // The oldest went first; the newest still answer.
    expect(memory.contact('c900')).toBeUndefined();
    expect(memory.contact('c1000')).toBe(named);
    projected = 995;
    memory.rememberContact('c1001', named, 1001);
    expect(memory.size).toBe(6);
    memory.clear();
    expect(memory.size).toBe(0);
  });
});

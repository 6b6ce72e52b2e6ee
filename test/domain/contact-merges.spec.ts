import { contactMergesDecider, type ContactMergesEvent } from '../../src/domain/contact/contact-merges';
import { fold } from '../../src/domain/shared/decider';

const at = '2026-01-01T00:00:00.000Z';
const merged = (contactId: string, intoContactId: string): ContactMergesEvent => ({ type: 'ContactMergeRecorded', data: { contactId, intoContactId, at } });
const decide = (history: ContactMergesEvent[], contactId: string, intoContactId: string) =>
  contactMergesDecider.decide({ type: 'RecordContactMerge', data: { contactId, intoContactId, at } }, fold(contactMergesDecider, history));

describe('the contact merge ledger', () => {
  it('records a merge of two contacts nobody merged', () => {
    expect(decide([], 'a', 'b')).toEqual([merged('a', 'b')]);
  });

  it('the same merge again is a repeat (it finishes the contacts)', () => {
    expect(decide([merged('a', 'b')], 'a', 'b')).toEqual([]);
  });

  it('refuses the opposite merge: it would make a cycle', () => {
    expect(() => decide([merged('a', 'b')], 'b', 'a')).toThrow(
      expect.objectContaining({ reason: 'contact-merge-into-merged', params: { contactId: 'a', into: 'b' } }),
    );
  });

  it('refuses a merged contact as source or target, and a contact into itself', () => {
    expect(() => decide([merged('a', 'b')], 'a', 'c')).toThrow(expect.objectContaining({ reason: 'contact-merge-from-merged' }));
    expect(() => decide([merged('a', 'b')], 'c', 'a')).toThrow(expect.objectContaining({ reason: 'contact-merge-into-merged' }));
    expect(() => decide([], 'a', 'a')).toThrow(expect.objectContaining({ reason: 'contact-merge-self' }));
  });

  it('a contact others were merged into can itself be merged (their chain follows it)', () => {
    expect(decide([merged('a', 'b')], 'b', 'c')).toEqual([merged('b', 'c')]);
  });
});

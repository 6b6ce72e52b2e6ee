import type { Decider } from '../shared/decider';
import { invalidInput, invalidTransition } from '../shared/domain-error';

/**
 * Every merge of contacts, in one stream, so that two merges are decided one after the other:
 * A into B and B into A at the same moment append with the same expected revision, and the
 * second is decided again on the first's outcome (its target is merged then, so it is refused).
 * The contacts' own streams are written after the ledger; a merge the ledger holds already is a
 * repeat that finishes them.
 */
export type ContactMergesEvent = { type: 'ContactMergeRecorded'; data: { contactId: string; intoContactId: string; at: string } };

export type ContactMergesCommand = { type: 'RecordContactMerge'; data: { contactId: string; intoContactId: string; at: string } };

export interface ContactMergesState {
  /** Merged contact id -> the contact it went into. */
  readonly into: ReadonlyMap<string, string>;
}

export const contactMergesDecider: Decider<ContactMergesCommand, ContactMergesEvent, ContactMergesState> = {
  initialState: () => ({ into: new Map() }),
  evolve(state, event) {
    const into = new Map(state.into);
    into.set(event.data.contactId, event.data.intoContactId);
    return { into };
  },
  decide(command, state) {
    const { contactId, intoContactId, at } = command.data;
    if (contactId === intoContactId) throw invalidInput('contact-merge-self', 'a contact cannot be merged into itself');
    const went = state.into.get(contactId);
    if (went === intoContactId) return [];
    if (went !== undefined) {
      throw invalidTransition('contact-merge-from-merged', 'contact {{contactId}} was merged into {{into}} already; merge that one instead', {
        contactId,
        into: went,
      });
    }
    // A target that is merged itself would make a chain, or with its own target a cycle.
    const targetWent = state.into.get(intoContactId);
    if (targetWent !== undefined) {
      throw invalidTransition('contact-merge-into-merged', 'contact {{contactId}} was merged into {{into}}; merge into that one instead', {
        contactId: intoContactId,
        into: targetWent,
      });
    }
    return [{ type: 'ContactMergeRecorded', data: { contactId, intoContactId, at } }];
  },
};

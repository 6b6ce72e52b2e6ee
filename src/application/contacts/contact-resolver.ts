import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { identityKey, identityOf } from '../../domain/contact/identity';
import { EVENT_STORE, type EventStore } from '../ports/event-store.port';
import { RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import { deriveIds, streams } from '../streams';

/** A chain of merges longer than this is followed no further (merges are rare; a loop is a bug). */
const MAX_MERGE_HOPS = 5;

/**
 * Which contact a sender is (docs/contacts.md "Matching"): the live contact holding the sender's
 * identity, else the contact the address derives. One indexed read-model lookup per message; the
 * derived contact's stream is read only on a miss (a first message, or a read model that lags), to
 * follow a merge or step around an erased contact. Nothing is written here: the contact-records
 * process manager creates the record after the conversation started.
 */
@Injectable()
export class ContactResolver {
  constructor(
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async contactIdFor(channel: string, address: string): Promise<string> {
    const found = await this.records.findContactIdByIdentity(identityKey(identityOf(channel, address)));
    if (found) return found;
    return this.follow(deriveIds.contact(address));
  }

  /** The contact `contactId` stands for now: itself, the one it was merged into, or a new one when it was erased. */
  async follow(contactId: string): Promise<string> {
    let id = contactId;
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop += 1) {
      const [last] = await this.store.readStream(streams.contact(id), { direction: 'backwards', maxCount: 1 });
      if (last?.type === 'ContactMerged') {
        id = String(last.data.intoContactId);
        continue;
      }
      // An erased contact stays an empty shell: whoever writes from its address again is someone new to us.
      if (last?.type === 'ContactErased') return randomUUID();
      return id;
    }
    return id;
  }
}

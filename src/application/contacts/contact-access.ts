import { fold } from '../../domain/shared/decider';
import { contactDecider, type ContactState } from '../../domain/contact/contact.decider';
import { AccessDeniedError, NotFoundError, type InboxAccess } from '../access/inbox-access';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import { toDomainEvents } from '../command-handling/handle-command';
import type { EventStore } from '../ports/event-store.port';
import type { ContactRecord, RecordStore } from '../ports/record-store.port';
import { propertiesOf } from '../ports/record-store.port';
import type { PropertyDefinition, RecordObject } from '../../domain/record-settings/record-properties';
import { streams } from '../streams';

/** Merges are followed this far when a merged contact is asked for. */
const MAX_MERGE_HOPS = 5;

export const unknownContact = (contactId: string) => new NotFoundError(`contact ${contactId} not found`);
export const unknownCompany = (companyId: string) => new NotFoundError(`company ${companyId} not found`);

/** Contacts and companies are worked on by agents (system actors go through the process manager). */
export function requireAgent(ctx: CommandContext): AuthenticatedAgent {
  if (!ctx.agent) throw new AccessDeniedError('contacts belong to agents: sign in as an agent');
  return ctx.agent;
}

/**
 * A contact is visible to an agent who reaches one of its inboxes; one without conversations (made
 * by hand) to every agent; admins see all (record-store.port.ts).
 */
export function isVisible(contact: ContactRecord, inboxIds: readonly string[] | undefined): boolean {
  return inboxIds === undefined || contact.inboxIds.length === 0 || contact.inboxIds.some((id) => inboxIds.includes(id));
}

/**
 * The contact the agent may see under this id, following merges to the contact it went into; an
 * unknown contact and one out of reach answer alike (404).
 */
export async function visibleContact(records: RecordStore, access: InboxAccess, agent: AuthenticatedAgent, contactId: string): Promise<ContactRecord> {
  const inboxIds = await access.reachableInboxIds(agent);
  let contact = await records.getContact(contactId);
  for (let hop = 0; contact?.mergedInto && hop < MAX_MERGE_HOPS; hop += 1) contact = await records.getContact(contact.mergedInto);
  if (!contact || contact.mergedInto || !isVisible(contact, inboxIds)) throw unknownContact(contactId);
  return contact;
}

/** The contact's state from its own history (the read model may lag behind a write just made). */
export async function contactState(store: EventStore, contactId: string): Promise<ContactState> {
  return fold(contactDecider, toDomainEvents(await store.readStream(streams.contact(contactId))));
}

export async function definitionsOf(records: RecordStore, object: RecordObject): Promise<PropertyDefinition[]> {
  return propertiesOf(await records.getRecordSettings(), object);
}

import { VIEW_IDS, type BuiltInViewId } from '../application/ports/read-store.port';
import type { Channel } from '../domain/shared/types';
import type { ConversationDoc } from './conversation-summary';

export interface ViewMembership {
  viewId: BuiltInViewId;
  /** The agent for "assigned-to-me"; '' for views that look the same to every agent. */
  agentId: string;
}

/** The "api" channel has no view of its own: its conversations show in the general views. */
const CHANNEL_VIEW: Partial<Record<Channel, BuiltInViewId>> = {
  chat: 'chat',
  email: 'email',
  messenger: 'messenger',
  whatsapp: 'whatsapp',
  forms: 'forms',
};

/** docs/design.md's views table, one predicate per view, for views shared by all agents. */
const SHARED_VIEW_RULES: Record<Exclude<BuiltInViewId, 'assigned-to-me'>, (doc: ConversationDoc) => boolean> = {
  unassigned: (doc) => isOpen(doc) && doc.assignee === null && !isHidden(doc) && !doc.awaitingContactReply,
  'all-open': (doc) => isOpen(doc) && !isHidden(doc) && !doc.awaitingContactReply,
  chat: (doc) => isOpenInChannelView(doc, 'chat'),
  email: (doc) => isOpenInChannelView(doc, 'email'),
  messenger: (doc) => isOpenInChannelView(doc, 'messenger'),
  whatsapp: (doc) => isOpenInChannelView(doc, 'whatsapp'),
  forms: (doc) => isOpenInChannelView(doc, 'forms'),
  bots: (doc) => doc.assignee?.type === 'bot' && !doc.everAssignedToAgent && !doc.spam && !doc.trashed,
  'all-closed': (doc) => doc.status === 'closed' && !isHidden(doc),
  sent: (doc) => doc.origin === 'outbound' && doc.awaitingContactReply && !doc.trashed,
  spam: (doc) => doc.spam && !doc.trashed,
  filtered: (doc) => doc.filtered && !doc.trashed,
  trash: (doc) => doc.trashed,
};

/** The built-in views a conversation belongs to, in VIEW_IDS order. */
export function viewMembership(doc: ConversationDoc): ViewMembership[] {
  const memberships: ViewMembership[] = [];
  for (const viewId of VIEW_IDS) {
    if (viewId === 'assigned-to-me') {
      const agentId = assignedAgentSeeing(doc);
      if (agentId !== null) memberships.push({ viewId, agentId });
    } else if (SHARED_VIEW_RULES[viewId](doc)) {
      memberships.push({ viewId, agentId: '' });
    }
  }
  return memberships;
}

/** Spam, filtered and trashed conversations are out of the working views. */
export function isHidden(doc: ConversationDoc): boolean {
  return doc.spam || doc.filtered || doc.trashed;
}

function isOpen(doc: ConversationDoc): boolean {
  return doc.status === 'open';
}

function isOpenInChannelView(doc: ConversationDoc, viewId: BuiltInViewId): boolean {
  return isOpen(doc) && CHANNEL_VIEW[doc.channel] === viewId && !isHidden(doc);
}

/** The agent whose "Assigned to me" shows this conversation, or null. */
function assignedAgentSeeing(doc: ConversationDoc): string | null {
  if (!isOpen(doc) || isHidden(doc) || doc.assignee?.type !== 'agent') return null;
  return doc.assignee.id;
}

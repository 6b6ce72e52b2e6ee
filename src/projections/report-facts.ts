import type { RecordedEvent } from '../application/ports/event-store.port';
import type { ConversationEvent, ConversationEventType } from '../domain/conversation/conversation.events';
import type { Channel } from '../domain/shared/types';

/**
 * What the reports (docs/reports.md) need to know of one conversation, folded from its events by
 * a pure function that both read stores use, so the embedded and the MongoDB report agree.
 *
 * - Assignments: every ConversationAssigned to an agent, with its time and how it came about.
 * - First response: from the contact's first message to the first reply an agent queued after it
 *   (bot replies, authored `bot:<id>`, and the system's do not count; a reply before any contact
 *   message, the first message of an outbound conversation, is not a response). Once per conversation.
 * - Resolutions: one per close, measured from the start of its cycle (the conversation's start,
 *   or the reopen that began the cycle) to the close, credited to the agent it was assigned to
 *   then, else to the agent who closed it, else to nobody.
 *
 * Times are ISO instants as toISOString writes them, so they compare as strings.
 */
export interface ReportConversation {
  id: string;
  inboxId: string;
  channel: Channel;
  origin: 'inbound' | 'outbound';
  startedAt: string;
  /** The contact's first message; null until there is one (outbound conversations start without). */
  firstContactAt: string | null;
  firstResponse: ReportFirstResponse | null;
  /** The agent the conversation is assigned to now (null: nobody, or the bot). */
  assigneeAgentId: string | null;
  status: 'open' | 'closed';
  /** Start of the current resolution cycle: the start, or the last reopen. */
  cycleStartedAt: string;
  assignments: ReportAssignment[];
  resolutions: ReportResolution[];
}

export type ReportAssignmentVia = 'manual' | 'round-robin' | 'balanced' | 'inbox-bot';

export interface ReportAssignment {
  agentId: string;
  at: string;
  via: ReportAssignmentVia;
}

export interface ReportFirstResponse {
  agentId: string;
  at: string;
  seconds: number;
}

export interface ReportResolution {
  /** Null when neither an assigned agent nor a closing agent is known (a bot's or the system's close). */
  agentId: string | null;
  at: string;
  seconds: number;
}

/** The conversation event types the reports fold. */
export const REPORT_EVENT_TYPES = [
  'ConversationStarted',
  'MessageReceived',
  'ReplyQueued',
  'ConversationAssigned',
  'ConversationUnassigned',
  'ConversationClosed',
  'ConversationReopened',
  'ConversationDeleted',
] as const satisfies readonly ConversationEventType[];

type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];

/** The result of folding one event: the new state, `deleted` (delete forever: the facts leave), or the state unchanged. */
export type ReportStep = ReportConversation | 'deleted' | null;

/**
 * The conversation after `event`. Null state: nothing known yet (only ConversationStarted creates
 * one; anything else before it is ignored, as after a delete forever).
 */
export function evolveReportConversation(state: ReportConversation | null, event: RecordedEvent): ReportStep {
  const conversationId = event.streamId.startsWith('conversation-') ? event.streamId.slice('conversation-'.length) : event.streamId;
  if (event.type === 'ConversationDeleted') return 'deleted';
  if (event.type === 'ConversationStarted') {
    const data = event.data as DataOf<'ConversationStarted'>;
    if (state !== null) return state;
    const startedAt = iso(data.startedAt, event);
    return {
      id: conversationId,
      inboxId: data.inboxId,
      channel: data.channel,
      origin: data.origin,
      startedAt,
      firstContactAt: null,
      firstResponse: null,
      assigneeAgentId: null,
      status: 'open',
      cycleStartedAt: startedAt,
      assignments: [],
      resolutions: [],
    };
  }
  if (state === null) return null;
  switch (event.type) {
    case 'MessageReceived': {
      if (state.firstContactAt !== null) return state;
      return { ...state, firstContactAt: iso((event.data as DataOf<'MessageReceived'>).receivedAt, event) };
    }
    case 'ReplyQueued': {
      const data = event.data as DataOf<'ReplyQueued'>;
      if (state.firstResponse !== null || state.firstContactAt === null || !byAgent(data.authorId, event)) return state;
      const at = iso(data.queuedAt, event);
      return { ...state, firstResponse: { agentId: data.authorId, at, seconds: secondsBetween(state.firstContactAt, at) } };
    }
    case 'ConversationAssigned': {
      const data = event.data as DataOf<'ConversationAssigned'>;
      if (data.assignee.type !== 'agent') return { ...state, assigneeAgentId: null };
      const assignment: ReportAssignment = { agentId: data.assignee.id, at: iso(undefined, event), via: data.via ?? 'manual' };
      return { ...state, assigneeAgentId: data.assignee.id, assignments: [...state.assignments, assignment] };
    }
    case 'ConversationUnassigned':
      return { ...state, assigneeAgentId: null };
    case 'ConversationClosed': {
      if (state.status === 'closed') return state;
      const at = iso((event.data as DataOf<'ConversationClosed'>).closedAt, event);
      const actor = event.metadata.actor;
      const agentId = state.assigneeAgentId ?? (actor.type === 'agent' ? actor.id : null);
      return { ...state, status: 'closed', resolutions: [...state.resolutions, { agentId, at, seconds: secondsBetween(state.cycleStartedAt, at) }] };
    }
    case 'ConversationReopened': {
      if (state.status === 'open') return state;
      return { ...state, status: 'open', cycleStartedAt: iso((event.data as DataOf<'ConversationReopened'>).reopenedAt, event) };
    }
    default:
      return state;
  }
}

/** A reply counts as an agent's when neither a bot (`bot:<id>`, or a bot actor) nor the system wrote it. */
function byAgent(authorId: string | undefined, event: RecordedEvent): boolean {
  if (!authorId || authorId === 'system' || authorId.startsWith('bot:')) return false;
  const actor = event.metadata.actor.type;
  return actor !== 'bot' && actor !== 'system';
}

/** An event's own time when it has one, else the time it was recorded; always in toISOString form. */
function iso(value: string | undefined, event: RecordedEvent): string {
  const time = Date.parse(value ?? event.metadata.occurredAt);
  return new Date(Number.isNaN(time) ? Date.parse(event.metadata.occurredAt) : time).toISOString();
}

/** Whole milliseconds as seconds (never negative: a clock stepping back counts as no time). */
function secondsBetween(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from)) / 1000;
}

import type { BuiltInViewId } from '../../src/application/ports/read-store.port';
import type { ConversationDoc } from '../../src/projections/conversation-summary';
import { viewMembership } from '../../src/projections/views';

const AGENT = 'agent-ana';

/** An open, unassigned, inbound email conversation that the contact wrote. */
function doc(overrides: Partial<ConversationDoc> = {}): ConversationDoc {
  return {
    id: 'c1',
    inboxId: 'inbox-1',
    channel: 'email',
    status: 'open',
    origin: 'inbound',
    assignee: null,
    everAssignedToAgent: false,
    contact: { id: 'contact-1', name: 'Ana', address: 'ana@example.com' },
    participants: [{ address: 'ana@example.com', name: 'Ana' }],
    subject: 'Order',
    preview: 'Where is it?',
    lastReceivedAt: '2025-03-01T09:00:00.000Z',
    awaitingReply: true,
    awaitingContactReply: false,
    commentPreview: null,
    forwarded: false,
    spam: false,
    filtered: false,
    blockedAddress: null,
    trashed: false,
    trashedAt: null,
    purgeAfter: null,
    ticket: null,
    revision: 1,
    ...overrides,
  };
}

const agent = { type: 'agent' as const, id: AGENT };
const bot = { type: 'bot' as const };
const outboundUnanswered = { origin: 'outbound' as const, awaitingContactReply: true, awaitingReply: false };

/** Views by id; "assigned-to-me" is written "assigned-to-me:<agentId>". */
function views(d: ConversationDoc): string[] {
  return viewMembership(d).map(({ viewId, agentId }) => (agentId ? `${viewId}:${agentId}` : viewId));
}

const cases: Array<[string, Partial<ConversationDoc>, string[]]> = [
  // Unassigned / All open / channel views
  ['open unassigned inbound email', {}, ['unassigned', 'all-open', 'email']],
  ['open unassigned chat', { channel: 'chat' }, ['unassigned', 'all-open', 'chat']],
  ['open messenger', { channel: 'messenger' }, ['unassigned', 'all-open', 'messenger']],
  ['open whatsapp', { channel: 'whatsapp' }, ['unassigned', 'all-open', 'whatsapp']],
  ['open forms', { channel: 'forms' }, ['unassigned', 'all-open', 'forms']],
  ['the api channel has no channel view', { channel: 'api' }, ['unassigned', 'all-open']],
  // Assigned to me
  [
    'open, assigned to an agent: only that agent sees it as theirs',
    { assignee: agent, everAssignedToAgent: true },
    ['assigned-to-me:agent-ana', 'all-open', 'email'],
  ],
  ['the bot is an assignee: not unassigned', { assignee: bot, channel: 'chat' }, ['all-open', 'chat', 'bots']],
  // Bots
  ['bot conversation once held by an agent leaves Bots', { assignee: bot, everAssignedToAgent: true, channel: 'chat' }, ['all-open', 'chat']],
  ['bot conversation stays in Bots when closed', { assignee: bot, status: 'closed', channel: 'chat' }, ['bots', 'all-closed']],
  ['filtered bot conversation stays in Bots (Bots ignores filtered)', { assignee: bot, filtered: true, channel: 'chat' }, ['bots', 'filtered']],
  ['spam bot conversation leaves Bots', { assignee: bot, spam: true, channel: 'chat' }, ['spam']],
  ['trashed bot conversation leaves Bots', { assignee: bot, trashed: true, channel: 'chat' }, ['trash']],
  // All closed
  ['closed', { status: 'closed' }, ['all-closed']],
  ['closed and assigned: not in Assigned to me', { status: 'closed', assignee: agent, everAssignedToAgent: true }, ['all-closed']],
  ['closed spam: only Spam', { status: 'closed', spam: true }, ['spam']],
  // Sent (rule 3)
  ['outbound email nobody answered: Sent only, not Unassigned nor All open', outboundUnanswered, ['email', 'sent']],
  [
    'outbound unanswered and assigned: Assigned to me and Sent',
    { ...outboundUnanswered, assignee: agent, everAssignedToAgent: true },
    ['assigned-to-me:agent-ana', 'email', 'sent'],
  ],
  [
    'outbound that the contact answered: back in the queue, out of Sent',
    { origin: 'outbound', awaitingContactReply: false },
    ['unassigned', 'all-open', 'email'],
  ],
  ['outbound unanswered and closed: still Sent', { ...outboundUnanswered, status: 'closed' }, ['all-closed', 'sent']],
  ['outbound unanswered and spam: Sent and Spam', { ...outboundUnanswered, spam: true }, ['sent', 'spam']],
  ['outbound unanswered and trashed: only Trash', { ...outboundUnanswered, trashed: true, trashedAt: 'x', purgeAfter: 'y' }, ['trash']],
  // Spam / Filtered / Trash
  ['spam', { spam: true }, ['spam']],
  ['spam and assigned: hidden from Assigned to me', { spam: true, assignee: agent }, ['spam']],
  ['filtered', { filtered: true, blockedAddress: 'ana@example.com' }, ['filtered']],
  ['spam and filtered', { spam: true, filtered: true }, ['spam', 'filtered']],
  ['trashed', { trashed: true }, ['trash']],
  ['trashed spam: only Trash', { trashed: true, spam: true }, ['trash']],
  ['trashed filtered: only Trash', { trashed: true, filtered: true }, ['trash']],
  ['trashed and assigned: only Trash', { trashed: true, assignee: agent }, ['trash']],
];

describe('viewMembership (docs/design.md views table)', () => {
  it.each(cases)('%s', (_name, overrides, expected) => {
    expect(views(doc(overrides))).toEqual(expected);
  });

  it('gives the agent id only for "assigned-to-me"', () => {
    const memberships = viewMembership(doc({ assignee: agent }));
    for (const { viewId, agentId } of memberships) expect(agentId).toBe(viewId === 'assigned-to-me' ? AGENT : '');
  });

  it('lists views in the order of VIEW_IDS, each at most once', () => {
    const all: BuiltInViewId[] = viewMembership(doc({ assignee: bot, channel: 'chat' })).map((m) => m.viewId);
    expect(new Set(all).size).toBe(all.length);
  });
});

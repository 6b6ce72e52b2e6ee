import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { NotFoundError } from '../../application/access/inbox-access';
import type { AgentSummary } from '../../application/agents/agent-commands.handler';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import type { ChannelCapabilitySet, ChannelCatalog } from '../../application/ports/channel-catalog.port';
import { ListCustomViewConversationsQuery, ListCustomViewsQuery } from '../../application/custom-views/custom-view-queries.handler';
import type { ConversationDetail, ConversationSummary, InboxRecord, MessageView, Page } from '../../application/ports/read-store.port';
import { GetAgentQuery, ListAgentsQuery, ListInboxesQuery } from '../../application/queries/directory-queries.handler';
import { GetConversationQuery, ListViewConversationsQuery, ListViewsQuery } from '../../application/queries/inbox-queries.handler';
import { InvalidFiltersError } from '../../application/search/conversation-filters';
import { SearchConversationsQuery } from '../../application/search/search-conversations.handler';
import { VIEW_IDS, type BuiltInViewId } from '../../application/ports/read-store.port';
import { isEmailAddress } from '../../domain/shared/address';
import { CHANNELS } from '../../domain/shared/types';
import type { Locale } from '../i18n/i18n';
import { presenceView } from './presence-view';
import { parseInboxState, searchParameters, stateQuery, type InboxState, type SearchInput } from './inbox-state';

const PAGE_SIZE = 50;
const BUILT_IN_VIEWS = new Set<string>(VIEW_IDS);
const CHANNELS_KNOWN = new Set<string>(CHANNELS);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ViewLink {
  id: string;
  name: string;
  count: number;
  href: string;
  active: boolean;
  problems?: string[];
}

/**
 * Everything the inbox screen shows, gathered through the QueryBus (the same access-checked
 * queries the JSON API uses) and shaped for the templates.
 */
@Injectable()
export class InboxScreen {
  constructor(private readonly queryBus: QueryBus) {}

  async inboxes(agent: AuthenticatedAgent): Promise<InboxRecord[]> {
    return this.queryBus.execute(new ListInboxesQuery(agent));
  }

  /** The inbox the state names, else the default one, else the first the agent can reach. */
  async resolveInbox(agent: AuthenticatedAgent, state: InboxState): Promise<{ inbox: InboxRecord; inboxes: InboxRecord[] }> {
    const inboxes = await this.inboxes(agent);
    const inbox = inboxes.find((i) => i.id === state.inboxId) ?? inboxes.find((i) => i.isDefault) ?? inboxes[0];
    if (!inbox) throw new NotFoundError('you are not a member of any inbox yet; ask an admin to add you to one');
    return { inbox, inboxes };
  }

  /**
   * The inbox a state-changing form acts on. Unlike a page, which may fall back to another inbox,
   * an action never lands somewhere the agent did not ask for: an inbox that is named but unknown or
   * out of reach answers 404, exactly like the JSON API.
   */
  async actionInbox(agent: AuthenticatedAgent, inboxId: string | undefined): Promise<{ inbox: InboxRecord; inboxes: InboxRecord[] }> {
    if (!inboxId) return this.resolveInbox(agent, parseInboxState({}));
    const inboxes = await this.inboxes(agent);
    const inbox = inboxes.find((i) => i.id === inboxId.toLowerCase());
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
    return { inbox, inboxes };
  }

  async me(agent: AuthenticatedAgent): Promise<AgentSummary> {
    const me = await this.queryBus.execute(new GetAgentQuery(agent.id));
    return me ?? { ...agent, availability: 'available' };
  }

  /** The teammates who can work in this inbox (admins reach every inbox). */
  async teammates(inbox: InboxRecord): Promise<AgentSummary[]> {
    const agents: AgentSummary[] = await this.queryBus.execute(new ListAgentsQuery());
    return agents.filter((a) => a.role === 'admin' || inbox.memberIds.includes(a.id)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The left pane: views with counts (always-shown ones, the rest under More), then custom views. */
  async nav(agent: AuthenticatedAgent, inbox: InboxRecord, state: InboxState, locale: Locale) {
    const [listing, custom] = await Promise.all([
      this.queryBus.execute(new ListViewsQuery(agent, inbox.id)),
      this.queryBus.execute(new ListCustomViewsQuery(agent, inbox.id)),
    ]);
    const link = (view: { id: string; name: string; count: number; problems?: string[] }): ViewLink => ({
      id: view.id,
      // Built-in views carry their name in the reader's language; a custom view keeps the name it was given.
      name: BUILT_IN_VIEWS.has(view.id) ? locale.t(`views.${view.id}`) : view.name,
      count: view.count,
      problems: view.problems,
      href: `/inbox?${stateQuery({ ...state, inboxId: inbox.id, search: null, conversationId: null, sort: state.sort === 'relevance' ? 'newest' : state.sort }, { view: view.id })}`,
      active: !state.search && state.view === view.id,
    });
    const always = listing.views.filter((v) => v.alwaysVisible).map(link);
    const more = listing.views.filter((v) => !v.alwaysVisible).map(link);
    return {
      always,
      more,
      moreActive: more.some((v) => v.active),
      moreCount: more.length,
      custom: custom.map(link),
      viewName: [...always, ...more, ...custom.map(link)].find((v) => v.id === state.view)?.name ?? locale.t('inbox.inbox'),
    };
  }

  /** One page of the list the state asks for; bad search input comes back as messages, not as an error page. */
  async list(
    agent: AuthenticatedAgent,
    inbox: InboxRecord,
    state: InboxState,
    cursor?: string,
  ): Promise<{ page: Page<ConversationSummary>; errors: string[] }> {
    try {
      let page: Page<ConversationSummary>;
      if (state.search) {
        page = await this.queryBus.execute(
          new SearchConversationsQuery(agent, searchParameters(state as InboxState & { search: SearchInput }, inbox.id, cursor)),
        );
      } else if (UUID.test(state.view)) {
        const sort = state.sort === 'oldest' ? 'oldest' : 'newest';
        page = await this.queryBus.execute(new ListCustomViewConversationsQuery(agent, state.view, inbox.id, sort, PAGE_SIZE, cursor));
      } else {
        const sort = state.sort === 'oldest' ? 'oldest' : 'newest';
        page = await this.queryBus.execute(new ListViewConversationsQuery(agent, inbox.id, state.view as BuiltInViewId, sort, PAGE_SIZE, cursor));
      }
      return { page, errors: [] };
    } catch (error) {
      if (error instanceof InvalidFiltersError) return { page: { items: [], nextCursor: null }, errors: error.errors };
      if (error instanceof NotFoundError && !state.search) return { page: { items: [], nextCursor: null }, errors: [error.message] };
      throw error;
    }
  }

  async conversation(agent: AuthenticatedAgent, conversationId: string): Promise<ConversationDetail> {
    return this.queryBus.execute(new GetConversationQuery(agent, conversationId));
  }

  /** The contact's other conversations in this inbox, newest first: the sidebar's list when the contact's record cannot be read. */
  async otherConversations(agent: AuthenticatedAgent, conversation: ConversationSummary): Promise<ConversationSummary[]> {
    if (!conversation.contact) return [];
    const page: Page<ConversationSummary> = await this.queryBus.execute(
      new SearchConversationsQuery(agent, { inboxId: conversation.inboxId, contactId: conversation.contact.id, hideTrash: 'true', sort: 'newest', limit: '8' }),
    );
    return page.items.filter((c) => c.id !== conversation.id).slice(0, 6);
  }
}

// ---- view models -----------------------------------------------------------------------------

export function contactLabel(c: Pick<ConversationSummary, 'contact' | 'participants'>, locale: Locale): string {
  return c.contact?.name || c.contact?.address || c.participants[0]?.name || c.participants[0]?.address || locale.t('thread.unknownContact');
}

export function channelLabel(channel: string, locale: Locale): string {
  return CHANNELS_KNOWN.has(channel) ? locale.t(`channels.${channel}`) : channel;
}

export function listItem(c: ConversationSummary, state: InboxState, inboxId: string, locale: Locale) {
  const pageState = { ...state, inboxId, conversationId: c.id };
  return {
    id: c.id,
    contact: contactLabel(c, locale),
    others: Math.max(0, c.participants.length - 1),
    participants: c.participants.length,
    // The row's "+n" names everyone in the thread in its title.
    participantsTitle: locale.t('list.participantsNamed', { count: c.participants.length, names: c.participants.map(partyLabel).join(', ') }),
    // A closed conversation owes no reply: the blue dot is for work still to do.
    awaitingReply: c.awaitingReply && c.status === 'open',
    replied: !c.awaitingReply && c.origin === 'inbound',
    sent: c.origin === 'outbound',
    forwarded: c.forwarded,
    subject: c.subject || locale.t('thread.noSubject'),
    preview: c.preview,
    lastReceivedAt: c.lastReceivedAt,
    channel: c.channel,
    channelLabel: channelLabel(c.channel, locale),
    commentPreview: c.commentPreview,
    assignee: c.assignee ? (c.assignee.type === 'bot' ? locale.t('owners.bot') : c.assignee.name) : null,
    closed: c.status === 'closed',
    spam: c.spam,
    filtered: c.filtered,
    trashed: c.trashed,
    active: state.conversationId === c.id,
    href: `/inbox?${stateQuery(pageState)}`,
    fragmentUrl: `/ui/conversations/${c.id}?${stateQuery(pageState)}`,
  };
}

type TimelineEntry =
  | ({ kind: 'message'; isMessage: true } & ReturnType<typeof messageView>)
  | { kind: 'comment'; isComment: true; id: string; author: string; text: string; at: string };

function partyLabel(p: { address: string; name?: string }): string {
  return p.name ? `${p.name} <${p.address}>` : p.address;
}

function messageView(conversationId: string, m: MessageView, locale: Locale, catalog: AttachmentUrls | null) {
  const hasHtml = typeof m.html === 'string' && m.html.trim() !== '';
  return {
    id: m.id,
    inbound: m.direction === 'in',
    forward: m.kind === 'forward',
    // A chat's transcript (rule 12): shown as a row of its own, its text folded away.
    transcript: m.kind === 'transcript',
    transcriptAuto: m.kind === 'transcript' && m.authorId === null,
    from: m.from.name || m.from.address,
    fromAddress: m.from.address,
    to: m.to.map(partyLabel).join(', '),
    cc: (m.cc ?? []).map(partyLabel).join(', '),
    subject: m.subject,
    text: m.text,
    at: m.at,
    channelLabel: channelLabel(m.channel, locale),
    hasHtml,
    bodyUrl: `/ui/conversations/${conversationId}/messages/${m.id}/body`,
    frameHeight: hasHtml ? frameHeight(m) : 0,
    attachments: m.attachments.map((a) => ({
      ...a,
      downloadUrl: m.direction === 'out' ? replyFileUrl(conversationId, a) : attachmentUrl(catalog, m.channel, conversationId, a),
    })),
    delivery: m.delivery,
    deliveryFailed: m.delivery?.status === 'failed',
    deliveryState: m.delivery ? deliveryState(m.delivery) : null,
    deliveryIcon: m.delivery ? DELIVERY_ICONS[deliveryState(m.delivery)] : null,
    // A flow bot's question: the buttons it offered the visitor.
    choices: m.choices ?? [],
    // The contact's reactions (WhatsApp, Messenger): the emoji, with who reacted and when as its title.
    reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, title: locale.t('thread.reactedBy', { name: r.from.name || r.from.address }), at: r.at })),
    // Structured facts (a form's custom fields, a shared location): the label in the reader's language.
    fields: (m.fields ?? []).map((f) => ({ key: f.key, label: f.label[locale.language] ?? f.label.en, value: f.value, url: safeUrl(f.url) })),
    template: m.template ? { name: m.template.name, language: m.template.language } : null,
  };
}

type DeliveryState = 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'retrying';

/**
 * A reply's state as the thread shows it: Sending (queued), Sent (the channel took it), Delivered
 * and Read (the channel's receipts), Failed with the reason, or retrying as before.
 */
export function deliveryState(delivery: NonNullable<MessageView['delivery']>): DeliveryState {
  if (delivery.status === 'queued') return 'sending';
  if (delivery.status === 'delivered') return delivery.receipt ?? 'sent';
  return delivery.status;
}

const DELIVERY_ICONS: Record<DeliveryState, string> = {
  sending: 'clock',
  sent: 'check',
  delivered: 'checks',
  read: 'checks',
  failed: 'alert',
  retrying: 'restore',
};

/** A field's link, only when it is an http(s) address (a channel's words are not trusted blindly). */
function safeUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A reply's file: Parley keeps those itself (POST /api/conversations/:id/attachments), always served as a download. */
function replyFileUrl(conversationId: string, a: MessageView['attachments'][number]): string {
  return `/api/conversations/${conversationId}/attachments/${encodeURIComponent(a.id)}`;
}

/** What the thread asks the channel catalog (the plugin registry): where an inbound file is downloaded. */
type AttachmentUrls = Pick<ChannelCatalog, 'attachmentUrl'>;

/**
 * Where an inbound message's file is downloaded, as the channel catalog answers: the plugin's own
 * route when it keeps its files (the email channel's blobs), else the host's, which keeps the files
 * plugins hand over (WhatsApp and Messenger media). Both check access by conversation.
 */
function attachmentUrl(catalog: AttachmentUrls | null, channel: string, conversationId: string, a: MessageView['attachments'][number]): string {
  return catalog ? catalog.attachmentUrl(channel, conversationId, a) : replyFileUrl(conversationId, a);
}

/** The frame cannot measure its content (no script, no same-origin), so guess a height; it can be resized. */
function frameHeight(m: MessageView): number {
  // The HTML's own text, one line per block element (paragraphs take a blank line more).
  const text = (m.html ?? '')
    .replace(/<(style|head|script)[\s\S]*?<\/\1>/gi, '')
    .replace(/<\/(p|blockquote|h[1-6]|ul|ol|table)>/gi, '\n\n')
    .replace(/<(br|\/div|\/li|\/tr)[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .trim();
  const lines = text.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / 80)), 0);
  return Math.max(100, Math.min(640, 36 + lines * 22));
}

/**
 * What the thread offers, from what the conversation's channel declares (its plugin's
 * capabilities), never from a list of channel names. A channel no loaded plugin provides offers
 * replies only (they fail visibly if nothing can send them). Answering by email (rule 12) also
 * needs an email address for the contact: their own, or one they gave later.
 */
export function threadActions(c: ConversationDetail, capabilities: ChannelCapabilitySet | null) {
  const email = contactEmailOf(c);
  const open = !c.trashed;
  return {
    reply: capabilities?.reply ?? true,
    attachments: Boolean(capabilities?.attachments),
    transcript: open && Boolean(capabilities?.transcript),
    forward: open && Boolean(capabilities?.forward),
    compose: Boolean(capabilities?.compose),
    switchToEmail: Boolean(capabilities?.switchToEmail) && email !== null,
    contactEmail: email,
  };
}

/** The contact's email address: their own address when it is one, else the one they gave (a chat visitor, rule 12). */
function contactEmailOf(c: ConversationDetail): string | null {
  if (!c.contact) return null;
  const given = (c.contact as { email?: string }).email;
  if (given && isEmailAddress(given)) return given;
  return isEmailAddress(c.contact.address) ? c.contact.address : null;
}

export function threadView(
  c: ConversationDetail,
  state: InboxState,
  teammates: AgentSummary[],
  me: AuthenticatedAgent,
  locale: Locale,
  capabilities: ChannelCapabilitySet | null = null,
  catalog: AttachmentUrls | null = null,
) {
  const actions = threadActions(c, capabilities);
  const pageState = { ...state, inboxId: c.inboxId, conversationId: c.id };
  const timeline: TimelineEntry[] = [
    ...c.messages.map((m) => ({ kind: 'message' as const, isMessage: true as const, ...messageView(c.id, m, locale, catalog) })),
    ...c.comments.map((k) => ({ kind: 'comment' as const, isComment: true as const, id: k.id, author: k.author.name, text: k.text, at: k.at })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const assigneeValue = c.assignee ? (c.assignee.type === 'bot' ? 'bot' : c.assignee.id) : '';
  const owners = [
    { value: '', label: locale.t('owners.unassigned') },
    { value: 'bot', label: locale.t('owners.bot') },
    ...teammates.map((a) => ({ value: a.id, label: a.id === me.id ? locale.t('owners.me', { name: a.name }) : a.name, ...presenceView(a, locale) })),
  ];
  const assignee = c.assignee;
  if (assignee?.type === 'agent' && !owners.some((o) => o.value === assignee.id)) owners.push({ value: assignee.id, label: assignee.name });
  const lastInbound = [...c.messages].reverse().find((m) => m.direction === 'in');
  const latest = c.messages.at(-1);
  return {
    id: c.id,
    subject: c.subject || locale.t('thread.noSubject'),
    // Replies go to the linked contact only: once it is unlinked the header says so too, rather
    // than naming a participant that no reply would reach.
    contact: c.contact ? contactLabel(c, locale) : locale.t('thread.noContact'),
    contactAddress: c.contact?.address ?? lastInbound?.from.address ?? null,
    contactLinked: Boolean(c.contact),
    channel: c.channel,
    channelLabel: channelLabel(c.channel, locale),
    status: c.status,
    open: c.status === 'open',
    closed: c.status === 'closed',
    spam: c.spam,
    filtered: c.filtered,
    trashed: c.trashed,
    trashedAt: c.trashedAt,
    ticket: c.ticket,
    // Rule 8: closing asks about the ticket while it is not closed (whatever stage of its pipeline it is in).
    ticketOpen: Boolean(c.ticket) && (c.ticket?.status as string) !== 'closed',
    revision: c.revision,
    owners: owners.map((o) => ({ ...o, selected: o.value === assigneeValue })),
    timeline,
    empty: timeline.length === 0,
    actions,
    canSwitchToEmail: actions.switchToEmail,
    replyChannels: actions.switchToEmail
      ? [
          { value: c.channel, label: channelLabel(c.channel, locale) },
          { value: 'email', label: channelLabel('email', locale) },
        ]
      : [],
    // Opening a thread whose latest message is the contact's tells their channel it was seen.
    latestInbound: latest?.direction === 'in',
    transcriptTo: actions.contactEmail ?? '',
    // The email's local part is one of the handles a mention resolves; the address itself is not needed.
    mentionables: teammates.map((a) => ({
      name: a.name,
      handle: a.name.trim().toLowerCase().replace(/\s+/g, '.'),
      local: a.email.split('@')[0].toLowerCase(),
    })),
    query: stateQuery(pageState),
    listQuery: stateQuery({ ...pageState, conversationId: null }),
  };
}

import { Injectable } from '@nestjs/common';
import { AccessDeniedError, NotFoundError } from '../../application/access/inbox-access';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { ChannelActivity } from '../../application/live/channel-activity';
import type { InboxRecord } from '../../application/ports/read-store.port';
import { CHANNELS } from '../../domain/shared/types';
import type { Locale } from '../i18n/i18n';
import { PluginRegistry } from '../../plugins/registry/plugin-registry';
import { channelLabel, InboxScreen, listItem, threadView } from './inbox-screen';
import { stateQuery, type InboxState } from './inbox-state';
import { ReplyBox } from './reply-box';
import { SidebarPresenter } from './sidebar-presenter';

/**
 * Builds the template contexts of the inbox screen's parts. The full page and the htmx fragments
 * use the same builders, so a part looks the same whether it came with the page or was refreshed.
 */
@Injectable()
export class InboxPresenter {
  constructor(
    readonly screen: InboxScreen,
    private readonly plugins: PluginRegistry,
    private readonly activity: ChannelActivity,
    private readonly replyBox: ReplyBox,
    private readonly sidebar: SidebarPresenter,
  ) {}

  /** "New email" is offered where the email channel's plugin declares that it composes (rule 13). */
  composeOffered(): boolean {
    return Boolean(this.plugins.capabilitiesOf('email')?.compose);
  }

  async navContext(agent: AuthenticatedAgent, inbox: InboxRecord, state: InboxState, locale: Locale) {
    const nav = await this.screen.nav(agent, inbox, state, locale);
    return { locale, nav, navUrl: `/ui/nav?${stateQuery({ ...state, inboxId: inbox.id })}` };
  }

  async listContext(agent: AuthenticatedAgent, inbox: InboxRecord, state: InboxState, locale: Locale, cursor?: string) {
    const { page, errors } = await this.screen.list(agent, inbox, state, cursor);
    const query = stateQuery({ ...state, inboxId: inbox.id });
    const inTrash = !state.search && state.view === 'trash';
    return {
      items: page.items.map((c) => listItem(c, state, inbox.id, locale)),
      errors,
      empty: page.items.length === 0 && errors.length === 0 && !cursor,
      emptyMessage: this.emptyListMessage(state, inTrash, locale),
      // An empty channel view tells admins where a channel of that kind is connected (when a plugin provides one).
      emptySettingsHref:
        agent.role === 'admin' && !state.search && this.isChannelView(state) && this.plugins.capabilitiesOf(state.view) !== null
          ? `/settings?inbox=${encodeURIComponent(inbox.id)}`
          : null,
      moreUrl: page.nextCursor ? `/ui/list?${query}&cursor=${encodeURIComponent(page.nextCursor)}` : null,
      listUrl: `/ui/list?${query}`,
    };
  }

  /**
   * An empty channel view says when its conversations will appear: once a channel of that kind is
   * connected to the inbox (or, when no plugin provides the channel at all, that none can arrive).
   */
  private emptyListMessage(state: InboxState, inTrash: boolean, locale: Locale): string {
    if (state.search) return locale.t('list.emptySearch');
    if (inTrash) return locale.t('list.emptyTrash');
    if (this.isChannelView(state)) {
      const channel = channelLabel(state.view, locale);
      if (!this.plugins.channels().some((c) => c.channel === state.view)) return locale.t('list.emptyNoChannel', { channel });
      return locale.t('list.emptyChannel', { channel });
    }
    return locale.t('list.empty');
  }

  private isChannelView(state: InboxState): boolean {
    return (CHANNELS as readonly string[]).includes(state.view) && state.view !== 'api';
  }

  /** The list pane's frame: title, sort, search form, bulk bar (the items come from listContext). */
  listPaneContext(state: InboxState, inbox: InboxRecord, viewName: string, teammates: Array<{ id: string; name: string }>, locale: Locale) {
    const search = state.search;
    const base = { ...state, inboxId: inbox.id, conversationId: null };
    const sortOptions = [
      { value: 'newest', label: locale.t('list.sortNewest') },
      { value: 'oldest', label: locale.t('list.sortOldest') },
      ...(search?.q ? [{ value: 'relevance', label: locale.t('list.sortRelevance') }] : []),
    ].map((o) => ({ ...o, selected: o.value === state.sort }));
    return {
      title: search ? locale.t('search.results') : viewName,
      searching: Boolean(search),
      inTrash: !search && state.view === 'trash',
      sortOptions,
      exitSearchHref: `/inbox?${stateQuery({ ...base, search: null })}`,
      search: {
        q: search?.q ?? '',
        from: search?.from ?? '',
        to: search?.to ?? '',
        contactId: search?.contactId ?? '',
        hideFiltered: search?.hideFiltered ?? false,
        hideTrash: search?.hideTrash ?? true,
        statuses: [
          { value: '', label: locale.t('search.anyStatus') },
          { value: 'open', label: locale.t('tags.open') },
          { value: 'closed', label: locale.t('tags.closed') },
        ].map((o) => ({ ...o, selected: o.value === (search?.status ?? '') })),
        channels: [{ value: '', label: locale.t('search.anyChannel') }, ...CHANNELS.map((c) => ({ value: c, label: channelLabel(c, locale) }))].map((o) => ({
          ...o,
          selected: o.value === (search?.channel ?? ''),
        })),
        assignees: [
          { value: '', label: locale.t('search.anyone') },
          { value: 'none', label: locale.t('owners.unassigned') },
          { value: 'bot', label: locale.t('owners.bot') },
          ...teammates.map((a) => ({ value: a.id, label: a.name })),
        ].map((o) => ({ ...o, selected: o.value === (search?.assignee ?? '') })),
        filtersOpen: Boolean(
          search &&
          (search.status || search.channel || search.assignee || search.from || search.to || search.contactId || search.hideFiltered || !search.hideTrash),
        ),
      },
      inboxId: inbox.id,
      view: state.view,
      bulkUrl: `/ui/bulk?${stateQuery(base)}`,
      saveViewUrl: `/ui/views?${stateQuery(base)}`,
    };
  }

  /**
   * The thread pane and the right sidebar of one conversation; null when it is gone or out of reach.
   * `seen`: the agent is shown the thread (opened, or its live refresh), so when its latest message
   * is the contact's, their channel may show them "seen" (in the background: a page never waits).
   */
  async threadContext(agent: AuthenticatedAgent, conversationId: string, state: InboxState, locale: Locale, options: { seen?: boolean } = {}) {
    let conversation;
    try {
      conversation = await this.screen.conversation(agent, conversationId);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof AccessDeniedError) return null;
      throw error;
    }
    const inbox = (await this.screen.inboxes(agent)).find((i) => i.id === conversation.inboxId);
    const teammates = inbox ? await this.screen.teammates(inbox) : [];
    // The right sidebar: the contact and company, the ticket, the contact's other conversations and tickets.
    const sidebar = await this.sidebar.view(agent, conversation, { ...state, inboxId: conversation.inboxId }, teammates, locale, () =>
      this.screen.otherConversations(agent, conversation),
    );
    const thread = threadView(conversation, state, teammates, agent, locale, this.plugins.capabilitiesOf(conversation.channel), this.plugins);
    if (options.seen && thread.latestInbound) void this.activity.agentSeen(conversation.id).catch(() => undefined);
    // The reply box: the default reply channel, the channel's reply window and its approved templates.
    const replyBox = await this.replyBox.view(agent, conversation, thread.actions, this.plugins.capabilitiesOf(conversation.channel), locale, {
      inboxAddress: inbox?.emailAddress ?? null,
      agentAddresses: teammates.map((a) => a.email),
    });
    return { locale, thread: { ...thread, replyBox, ticketOpen: thread.ticketOpen && !sidebar.ticketClosed }, sidebar };
  }
}

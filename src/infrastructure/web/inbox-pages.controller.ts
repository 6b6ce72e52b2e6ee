import { BadRequestException, Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegisterAgentCommand, RemoveAgentCommand, SetPreferencesCommand, UpdateAgentCommand } from '../../application/agents/agent-commands.handler';
import { ListCustomViewsQuery } from '../../application/custom-views/custom-view-queries.handler';
import type { CustomViewListing } from '../../application/custom-views/custom-view-listing';
import { DeleteCustomViewCommand } from '../../application/custom-views/delete-custom-view.handler';
import { UpdateCustomViewCommand } from '../../application/custom-views/update-custom-view.handler';
import { GetSessionAgentQuery } from '../../application/queries/directory-queries.handler';
import { SessionRevocations } from '../http/auth/session-revocations';
import { SESSION_COOKIE, SessionTokens } from '../http/auth/session-tokens';
import { COOKIE_SECURE } from '../http/controllers/auth.controller';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import { UnblockSenderCommand } from '../../application/conversations/unblock-sender.handler';
import { CreateInboxCommand, SetInboxMembersCommand, UpdateInboxCommand } from '../../application/inboxes/inbox-commands.handler';
import { ListAgentsQuery, ListBlockedSendersQuery } from '../../application/queries/directory-queries.handler';
import type { AgentSummary } from '../../application/agents/agent-commands.handler';
import { presenceView } from './presence-view';
import type { BlockedSenderRecord } from '../../application/ports/read-store.port';
import { CurrentAgent } from '../http/auth/auth.decorators';
import { LANGUAGES, type Locale } from '../i18n/i18n';
import { RequestLocale, requestLocale } from '../i18n/request-locale';
import { describeError } from '../http/describe-error';
import { uuidParam } from '../http/controllers/params';
import { InboxPresenter } from './inbox-presenter';
import { parseInboxState, stateQuery } from './inbox-state';
import { WebExceptionFilter } from './web-exception.filter';
import { field, fields, redirect, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';
import { channelsSection, settingsFromForm } from './channel-connections-settings';
import {
  ChangeChannelConnectionCommand,
  ConnectChannelCommand,
  DisconnectChannelCommand,
} from '../../application/channel-connections/channel-connection-commands.handler';
import { ListChannelConnectionsQuery } from '../../application/channel-connections/channel-connection-queries.handler';
import type { ChannelConnectionView } from '../../application/channel-connections/channel-connection-settings';
import { CHANNEL_CONNECTION_SPECS, type ChannelConnectionSpecs } from '../../application/ports/channel-connection-specs.port';
import { PUBLIC_URL, requestOrigin } from '../http/controllers/channel-connections.controller';
import { InboxRoutingSettingsView } from './inbox-routing-settings.controller';

/** The inbox screen (three panes) and the inbox settings page, as whole pages. */
@Controller()
@UseFilters(WebExceptionFilter)
export class InboxPagesController {
  constructor(
    private readonly presenter: InboxPresenter,
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly tokens: SessionTokens,
    private readonly revocations: SessionRevocations,
    @Inject(COOKIE_SECURE) private readonly secureCookies: boolean,
    @Inject(CHANNEL_CONNECTION_SPECS) private readonly connectionSpecs: ChannelConnectionSpecs,
    @Inject(PUBLIC_URL) private readonly publicUrl: string | null,
    private readonly routingSettings: InboxRoutingSettingsView,
  ) {}

  @Get('inbox')
  async inbox(@Query() query: Record<string, unknown>, @CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    const state = parseInboxState(query);
    const screen = this.presenter.screen;
    const { inbox, inboxes } = await screen.resolveInbox(agent, state);
    state.inboxId = inbox.id;
    const [me, teammates, nav, list, opened] = await Promise.all([
      screen.me(agent),
      screen.teammates(inbox),
      this.presenter.navContext(agent, inbox, state, locale),
      this.presenter.listContext(agent, inbox, state, locale),
      state.conversationId ? this.presenter.threadContext(agent, state.conversationId, state, locale, { seen: true }) : Promise.resolve(null),
    ]);
    const pane = this.presenter.listPaneContext(state, inbox, nav.nav.viewName, teammates, locale);
    sendHtml(
      reply,
      this.renderer.page('inbox', {
        title: `${pane.title} · ${inbox.name}`,
        me: { ...me, away: me.availability === 'away', isAdmin: me.role === 'admin' },
        inbox,
        inboxes: inboxes.map((i) => ({ id: i.id, name: i.name, selected: i.id === inbox.id, href: `/inbox?inbox=${i.id}` })),
        multipleInboxes: inboxes.length > 1,
        ...nav,
        pane,
        list,
        opened,
        missing: Boolean(state.conversationId && !opened),
        query: stateQuery(state),
        eventsUrl: `/events?inboxId=${inbox.id}`,
        canCompose: this.presenter.composeOffered(),
        settingsHref: `/settings?inbox=${inbox.id}`,
        locale,
      }),
    );
  }

  // ---- settings ---------------------------------------------------------------------------------

  @Get('settings')
  async settings(
    @Query('inbox') inboxId: string | undefined,
    @Query('saved') saved: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    sendHtml(
      reply,
      await this.settingsPage(
        agent,
        locale,
        inboxId,
        { notice: saved && SAVED.includes(saved as Saved) ? locale.t(`settings.saved.${saved}`) : undefined },
        request,
      ),
    );
  }

  @Post('settings/inbox')
  async updateInbox(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'inbox', async (id) => {
      const emailAddress = field(body, 'emailAddress');
      await this.commandBus.execute(new UpdateInboxCommand(id, { name: field(body, 'name'), emailAddress: emailAddress || null }, agentContext(agent)));
    });
  }

  @Post('settings/members')
  async setMembers(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'members', (id) =>
      this.commandBus.execute(new SetInboxMembersCommand(id, fields(body, 'agentIds'), agentContext(agent))),
    );
  }

  @Post('settings/inboxes')
  async createInbox(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    try {
      const emailAddress = field(body, 'emailAddress');
      const created = await this.commandBus.execute(new CreateInboxCommand(field(body, 'name'), emailAddress || null, [agent.id], agentContext(agent)));
      redirect(reply, `/settings?inbox=${created.id}&saved=inbox-created`);
    } catch (error) {
      sendHtml(reply, await this.settingsPage(agent, locale, undefined, { error: messageOf(error) }), describeError(error).statusCode);
    }
  }

  @Post('settings/agents')
  async addAgent(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'agent-added', async (id) => {
      const role = field(body, 'role') === 'admin' ? 'admin' : 'agent';
      // The same command and checks as POST /api/agents; a new agent works in the inbox they were
      // added from (and only there: admins reach every inbox anyway).
      await this.commandBus.execute(
        new RegisterAgentCommand(
          { name: field(body, 'name'), email: field(body, 'email'), password: field(body, 'password', { trim: false }), role },
          agentContext(agent),
          { inboxId: id },
        ),
      );
    });
  }

  @Post('settings/agents/:agentId/remove')
  async removeAgent(
    @Query('inbox') inboxId: string | undefined,
    @Param('agentId', uuidParam('agentId')) agentId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'agent-removed', () =>
      this.commandBus.execute(new RemoveAgentCommand(agentId, agentContext(agent))),
    );
  }

  @Post('settings/unblock')
  async unblock(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'unblocked', (id) =>
      this.commandBus.execute(new UnblockSenderCommand(id, field(body, 'address'), agentContext(agent))),
    );
  }

  /** The agent's own language and time zone; an empty choice follows the browser again. */
  @Post('settings/preferences')
  async setPreferences(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'preferences', () =>
      this.commandBus.execute(
        new SetPreferencesCommand({ language: field(body, 'language') || null, timeZone: field(body, 'timeZone') || null }, agentContext(agent)),
      ),
    );
  }

  /**
   * The agent's own password (the current one proves it is them). The new password ends every
   * session of theirs, this one included, so this browser gets a fresh session at once.
   */
  @Post('settings/password')
  async changePassword(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'password', async () => {
      const password = field(body, 'password', { trim: false });
      if (password !== field(body, 'confirm', { trim: false })) throw new BadRequestException(requestLocale(request).t('settings.passwordsDiffer'));
      await this.commandBus.execute(
        new UpdateAgentCommand(agent.id, { password, currentPassword: field(body, 'currentPassword', { trim: false }) }, agentContext(agent)),
      );
      this.revocations.ended({ agentId: agent.id });
      await this.startSession(agent.id, reply);
    });
  }

  /** Rename one of the inbox's custom views (the same command and checks as PATCH /api/views/:id). */
  @Post('settings/views/:viewId/rename')
  async renameView(
    @Query('inbox') inboxId: string | undefined,
    @Param('viewId', uuidParam('viewId')) viewId: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'view-renamed', () =>
      this.commandBus.execute(new UpdateCustomViewCommand(viewId, { name: field(body, 'name') }, agentContext(agent))),
    );
  }

  /** Delete one of the inbox's custom views (as DELETE /api/views/:id); its conversations stay where they are. */
  @Post('settings/views/:viewId/delete')
  async deleteView(
    @Query('inbox') inboxId: string | undefined,
    @Param('viewId', uuidParam('viewId')) viewId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'view-deleted', () =>
      this.commandBus.execute(new DeleteCustomViewCommand(viewId, agentContext(agent))),
    );
  }

  /** Connect a channel (chat …) to the inbox: the same command and checks as POST /api/inboxes/:id/channels. */
  @Post('settings/channels')
  async connectChannel(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'channel-connected', async (id) => {
      const type = field(body, 'type');
      const spec = this.connectionSpecs.connectionSpec(type);
      const settings = spec ? settingsFromForm(body, spec, requestLocale(request)) : {};
      const name = field(body, 'name');
      await this.commandBus.execute(new ConnectChannelCommand(id, type, name === '' ? undefined : name, settings, null, agentContext(agent)));
    });
  }

  /** Rename a channel connection and save its settings (as PATCH …/channels/:connectionId; an empty secret keeps the stored one). */
  @Post('settings/channels/:connectionId')
  async changeChannel(
    @Query('inbox') inboxId: string | undefined,
    @Param('connectionId', uuidParam('connectionId')) connectionId: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'channel-saved', async (id) => {
      // The form's fields are those of the connection's own channel, whatever the form claims.
      const connections: ChannelConnectionView[] = await this.queryBus.execute(new ListChannelConnectionsQuery(agent, id, null));
      const type = connections.find((c) => c.id === connectionId)?.type;
      const spec = type ? this.connectionSpecs.connectionSpec(type) : null;
      const settings = spec && spec.fields.length > 0 ? settingsFromForm(body, spec, requestLocale(request)) : undefined;
      await this.commandBus.execute(new ChangeChannelConnectionCommand(id, connectionId, { name: field(body, 'name'), settings }, null, agentContext(agent)));
    });
  }

  /** Remove a channel connection (as DELETE …/channels/:connectionId); its conversations stay. */
  @Post('settings/channels/:connectionId/remove')
  async removeChannel(
    @Query('inbox') inboxId: string | undefined,
    @Param('connectionId', uuidParam('connectionId')) connectionId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.settingsAction(agent, inboxId, request, reply, 'channel-removed', (id) =>
      this.commandBus.execute(new DisconnectChannelCommand(id, connectionId, agentContext(agent))),
    );
  }

  /** The same HttpOnly, SameSite=Strict session cookie as logging in sets. */
  private async startSession(agentId: string, reply: FastifyReply): Promise<void> {
    const session = await this.queryBus.execute(new GetSessionAgentQuery(agentId));
    if (!session) throw new Error('the agent whose password just changed does not exist');
    const { token, expiresAt } = this.tokens.issue(session.agent.id, session.credentialFingerprint);
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookies ? '; Secure' : ''}`);
  }

  /** Runs one settings form: success redirects back (POST/redirect/GET), a refusal re-renders the page with the reason. */
  private async settingsAction(
    agent: AuthenticatedAgent,
    inboxId: string | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    saved: Saved,
    run: (inboxId: string, inbox: Awaited<ReturnType<InboxPresenter['screen']['resolveInbox']>>['inbox']) => Promise<unknown>,
  ): Promise<void> {
    assertSameOrigin(request);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    try {
      await run(inbox.id, inbox);
      redirect(reply, `/settings?inbox=${inbox.id}&saved=${saved}`);
    } catch (error) {
      const described = describeError(error);
      if (described.statusCode >= 500) throw error;
      sendHtml(reply, await this.settingsPage(agent, requestLocale(request), inbox.id, { error: messageOf(error) }, request), described.statusCode);
    }
  }

  private async settingsPage(
    agent: AuthenticatedAgent,
    locale: Locale,
    inboxId: string | undefined,
    messages: { notice?: string; error?: string },
    /** For the embed snippets' address when PARLEY_PUBLIC_URL is not set. */
    request?: FastifyRequest,
  ): Promise<string> {
    const screen = this.presenter.screen;
    const { inbox, inboxes } = await screen.resolveInbox(agent, parseInboxState({ inbox: inboxId }));
    const [me, agents, blocked, views, connections] = await Promise.all([
      screen.me(agent),
      this.queryBus.execute(new ListAgentsQuery()) as Promise<AgentSummary[]>,
      this.queryBus.execute(new ListBlockedSendersQuery(agent, inbox.id)) as Promise<BlockedSenderRecord[]>,
      this.queryBus.execute(new ListCustomViewsQuery(agent, inbox.id)) as Promise<CustomViewListing[]>,
      this.queryBus.execute(new ListChannelConnectionsQuery(agent, inbox.id, this.publicUrl ?? (request ? requestOrigin(request) : null))) as Promise<
        ChannelConnectionView[]
      >,
    ]);
    const isAdmin = me.role === 'admin';
    return this.renderer.page('settings', {
      locale,
      title: locale.t('settings.heading', { inbox: inbox.name }),
      page: 'settings-page',
      me: { ...me, isAdmin },
      preferences: preferenceChoices(agent, locale),
      inbox,
      inboxes: inboxes.map((i) => ({ ...i, selected: i.id === inbox.id, href: `/settings?inbox=${i.id}` })),
      // Addresses and roles are for admins, who administer agents (as GET /api/agents shows them).
      agents: agents
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((a) => ({
          id: a.id,
          name: a.name,
          availability: a.availability,
          ...(isAdmin ? { email: a.email, role: a.role } : {}),
          member: a.role === 'admin' || inbox.memberIds.includes(a.id),
          ...presenceView(a, locale),
          isAdminRole: a.role === 'admin',
          isMe: a.id === me.id,
        })),
      blocked,
      hasBlocked: blocked.length > 0,
      customViews: views.map((v) => ({ id: v.id, name: v.name })),
      channels: channelsSection(connections, this.connectionSpecs, locale, isAdmin),
      // Auto-assignment and Business hours (partials settings-routing, settings-business-hours): admins only.
      ...(isAdmin ? this.routingSettings.sections(inbox, agents, locale) : {}),
      backHref: `/inbox?${stateQuery(parseInboxState({ inbox: inbox.id }))}`,
      ...messages,
    });
  }
}

/** What a settings form did, named in the redirect (`?saved=`) and told in the reader's language (settings.saved.*). */
const SAVED = [
  'inbox',
  'members',
  'inbox-created',
  'agent-added',
  'agent-removed',
  'unblocked',
  'preferences',
  'password',
  'view-renamed',
  'view-deleted',
  'channel-connected',
  'channel-saved',
  'channel-removed',
] as const;
type Saved = (typeof SAVED)[number];

/** Each language named in itself, as language pickers do, so a reader finds their own whatever the page's language. */
const LANGUAGE_NAMES: Record<(typeof LANGUAGES)[number], string> = { en: 'English', nl: 'Nederlands' };

function preferenceChoices(agent: AuthenticatedAgent, locale: Locale) {
  const language = agent.language ?? '';
  const timeZone = agent.timeZone ?? '';
  return {
    languages: [{ value: '', label: locale.t('preferences.browserLanguage') }, ...LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))].map((o) => ({
      ...o,
      selected: o.value === language,
    })),
    timeZones: [{ value: '', label: locale.t('preferences.browserZone') }, ...timeZones().map((z) => ({ value: z, label: z }))].map((o) => ({
      ...o,
      selected: o.value === timeZone,
    })),
    shownZone: locale.timeZone,
  };
}

let zoneList: string[] | null = null;
function timeZones(): string[] {
  zoneList ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
  return zoneList;
}

function messageOf(error: unknown): string {
  const { message } = describeError(error);
  return Array.isArray(message) ? message.join('; ') : message;
}

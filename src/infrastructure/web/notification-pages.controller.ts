import { Body, Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import {
  GetNotificationSettingsQuery,
  ListNotificationsQuery,
  MarkNotificationsReadCommand,
  SetNotificationSettingsCommand,
} from '../../application/notifications/notification.handlers';
import { NOTIFICATION_TEXTS, type NotificationTexts } from '../../application/notifications/notification-texts.port';
import type { NotificationRecord } from '../../application/ports/read-store.port';
import { NOTIFICATION_TYPES, type NotificationSettings } from '../../domain/agent/agent.events';
import { isDomainError } from '../../domain/shared/domain-error';
import { uuidParam } from '../http/controllers/params';
import { notificationView } from '../http/controllers/notifications.controller';
import { CurrentAgent } from '../http/auth/auth.decorators';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { conversationPath } from '../notifications/i18n-notification-texts';
import { WebExceptionFilter } from './web-exception.filter';
import { field, redirect, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';

/** The texts key of each type's switch row (settings). */
const TYPE_LABELS: Record<(typeof NOTIFICATION_TYPES)[number], string> = {
  mention: 'notifications.settings.types.mention',
  assigned: 'notifications.settings.types.assigned',
  handoff: 'notifications.settings.types.handoff',
  'new-message': 'notifications.settings.types.newMessage',
};

/**
 * The web UI's notification centre (the bell in the inbox's header, its panel) and the
 * notification switches of the Settings page, as fragments htmx fetches. The same queries and
 * commands as `/api/me/notifications*`; only ever the caller's own notifications.
 */
// HTML fragments for the web UI, not the JSON API: left out of the API reference.
@ApiExcludeController()
@Controller('ui')
@UseFilters(WebExceptionFilter)
export class NotificationPagesController {
  constructor(
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(NOTIFICATION_TEXTS) private readonly texts: NotificationTexts,
  ) {}

  /** The bell with its unread count and, in its closed panel, the newest notifications. */
  @Get('notifications/bell')
  async bell(@CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    sendHtml(reply, this.renderer.fragment('notification-bell', { locale, ...(await this.listing(agent, locale)) }));
  }

  /** The panel's content, and the count swapped out of band (the live stream asks for it on every change). */
  @Get('notifications')
  async panel(@CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    sendHtml(reply, this.renderer.fragment('notification-list', { locale, oob: true, ...(await this.listing(agent, locale)) }));
  }

  @Post('notifications/read-all')
  async readAll(@CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    assertSameOrigin(request);
    await this.commandBus.execute(new MarkNotificationsReadCommand('all', agentContext(agent)));
    sendHtml(reply, this.renderer.fragment('notification-list', { locale, oob: true, ...(await this.listing(agent, locale)) }));
  }

  /** Opening a notification marks it read and shows its conversation. */
  @Post('notifications/:id/open')
  async open(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    assertSameOrigin(request);
    try {
      await this.commandBus.execute(new MarkNotificationsReadCommand([id], agentContext(agent)));
    } catch (error) {
      // Not one of the caller's: there is nothing to open; the inbox is where they were.
      if (isDomainError(error) && error.code === 'not-found') return redirect(reply, '/inbox');
      throw error;
    }
    const { items } = (await this.queryBus.execute(new ListNotificationsQuery(agent.id))) as { items: NotificationRecord[] };
    const opened = items.find((item) => item.id === id);
    redirect(reply, opened ? conversationPath(opened) : '/inbox');
  }

  @Get('me/notification-settings')
  async settings(@CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    const settings = (await this.queryBus.execute(new GetNotificationSettingsQuery(agent.id))) as NotificationSettings;
    sendHtml(reply, this.settingsSection(agent, locale, settings, false));
  }

  /** The switches as the form has them: a box left unticked is off. */
  @Post('me/notification-settings')
  async saveSettings(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const wanted = Object.fromEntries(
      NOTIFICATION_TYPES.map((type) => [type, { inApp: field(body, `${type}.inApp`) === 'true', email: field(body, `${type}.email`) === 'true' }]),
    );
    const settings = (await this.commandBus.execute(new SetNotificationSettingsCommand(wanted, agentContext(agent)))) as NotificationSettings;
    sendHtml(reply, this.settingsSection(agent, locale, settings, true));
  }

  private async listing(agent: AuthenticatedAgent, locale: Locale) {
    const { items, unread } = (await this.queryBus.execute(new ListNotificationsQuery(agent.id))) as { items: NotificationRecord[]; unread: number };
    return { items: items.map((item) => notificationView(item, this.texts, locale.language)), unread };
  }

  private settingsSection(agent: AuthenticatedAgent, locale: Locale, settings: NotificationSettings, saved: boolean): string {
    return this.renderer.fragment('notification-settings', {
      locale,
      email: agent.email,
      saved,
      rows: NOTIFICATION_TYPES.map((type) => ({ type, label: locale.t(TYPE_LABELS[type]), ...settings[type] })),
    });
  }
}

import { Body, Controller, Get, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InvalidRequestError } from '../../../application/access/inbox-access';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import {
  GetNotificationSettingsQuery,
  ListNotificationsQuery,
  MarkNotificationsReadCommand,
  SetNotificationSettingsCommand,
} from '../../../application/notifications/notification.handlers';
import { NOTIFICATION_TEXTS, type NotificationTexts } from '../../../application/notifications/notification-texts.port';
import type { NotificationRecord } from '../../../application/ports/read-store.port';
import type { Locale } from '../../i18n/i18n';
import { RequestLocale } from '../../i18n/request-locale';
import { CurrentAgent } from '../auth/auth.decorators';
import { MarkNotificationsReadDto, NotificationList, NotificationSettingsDto, type NotificationView } from '../dto/notifications.dto';

/** The caller's own notification centre and switches (docs/notifications.md); the web UI's bell uses the same queries. */
@ApiTags('Notifications')
@Controller('api/me')
export class NotificationsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(NOTIFICATION_TEXTS) private readonly texts: NotificationTexts,
  ) {}

  @ApiOperation({
    summary: 'Your notifications',
    description: "The newest 50, newest first, each with its text in your language, and how many are unread. Only ever the caller's own.",
  })
  @ApiOkResponse({ type: NotificationList })
  @Get('notifications')
  async list(@CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale): Promise<NotificationList> {
    const { items, unread } = (await this.queryBus.execute(new ListNotificationsQuery(agent.id))) as { items: NotificationRecord[]; unread: number };
    return { items: items.map((item) => notificationView(item, this.texts, locale.language)), unread };
  }

  @ApiOperation({
    summary: 'Mark notifications read',
    description: '`{ ids: [...] }` marks those (already read ones stay read; an id that is not one of yours is 404); `{ all: true }` marks every unread one.',
  })
  @ApiOkResponse({ description: '`{ unread }`: how many are still unread' })
  @HttpCode(200)
  @Post('notifications/read')
  markRead(@Body() body: MarkNotificationsReadDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const ids = body.all === true ? 'all' : body.ids;
    if (ids === undefined || (body.all === true && body.ids !== undefined)) {
      throw new InvalidRequestError('give either ids (the notifications to mark read) or all: true');
    }
    return this.commandBus.execute(new MarkNotificationsReadCommand(ids, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Your notification switches', description: 'Per type (mention, assigned, handoff, new-message): `{ inApp, email }`.' })
  @ApiOkResponse({ description: '`{ mention: { inApp, email }, assigned: …, handoff: …, "new-message": … }`' })
  @Get('notification-settings')
  settings(@CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetNotificationSettingsQuery(agent.id));
  }

  @ApiOperation({
    summary: 'Change your notification switches',
    description: 'Only what is given changes, e.g. `{ "mention": { "email": false } }`. Answers the whole set.',
  })
  @ApiOkResponse({ description: 'The whole set of switches, as saved' })
  @Patch('notification-settings')
  changeSettings(@Body() body: NotificationSettingsDto, @CurrentAgent() agent: AuthenticatedAgent) {
    // Only what was given: the DTO's instances carry every declared property, the ones left out as undefined.
    const given = (value: object) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
    const settings = Object.fromEntries(Object.entries(given(body)).map(([type, switches]) => [type, given(switches as object)]));
    return this.commandBus.execute(new SetNotificationSettingsCommand(settings, agentContext(agent)));
  }
}

export function notificationView(item: NotificationRecord, texts: NotificationTexts, language: string): NotificationView {
  return {
    id: item.id,
    type: item.type,
    conversationId: item.conversationId,
    inboxId: item.inboxId,
    read: item.read,
    createdAt: item.createdAt,
    text: texts.text(language, item),
  };
}

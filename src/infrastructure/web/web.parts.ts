import { ReplyBox } from './reply-box';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ConversationChanges } from '../../application/live/conversation-changes';
import { AssetsController } from './assets.controller';
import { AuthPagesController } from './auth-pages.controller';
import { BotSettingsController } from './bot-settings.controller';
import { InboxFragmentsController } from './inbox-fragments.controller';
import { InboxPagesController } from './inbox-pages.controller';
import { InboxPresenter } from './inbox-presenter';
import { InboxRoutingSettingsController, InboxRoutingSettingsView } from './inbox-routing-settings.controller';
import { InboxScreen } from './inbox-screen';
import { LiveEventsController } from './live-events.controller';
import { RecordsPagesController } from './records-pages.controller';
import { ReportsPageController } from './reports-page.controller';
import { SidebarPresenter } from './sidebar-presenter';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { installFormParser, installSecurityHeaders } from './web-security';

/** Installs the UI's Fastify hooks: security headers on every response, the form parser for UI routes. */
@Injectable()
export class WebHttpSetup implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installSecurityHeaders(fastify);
    installFormParser(fastify);
  }
}

/** The web UI's controllers and providers, listed once for AppModule. */
export const webControllers = [
  AuthPagesController,
  InboxPagesController,
  InboxFragmentsController,
  LiveEventsController,
  ReportsPageController,
  RecordsPagesController,
  AssetsController,
  InboxRoutingSettingsController,
  BotSettingsController,
];

export const webProviders = [
  WebRenderer,
  WebExceptionFilter,
  InboxScreen,
  ReplyBox,
  InboxPresenter,
  SidebarPresenter,
  ConversationChanges,
  WebHttpSetup,
  InboxRoutingSettingsView,
];

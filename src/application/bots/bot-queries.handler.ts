import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { adminBot, adminInbox } from './bot-commands.handler';
import { toBotView, type BotView } from './bot-view';

/** `GET /api/inboxes/:id/bots`: the inbox's bots, oldest first (admins only: a bot's settings are its inbox's configuration). */
export class ListBotsQuery extends Query<BotView[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string,
  ) {
    super();
  }
}

@QueryHandler(ListBotsQuery)
export class ListBotsHandler implements IQueryHandler<ListBotsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agent, inboxId }: ListBotsQuery): Promise<BotView[]> {
    const inbox = await adminInbox(this.readStore, inboxId, { agent });
    return (await this.readStore.listBots(inbox.id)).map(toBotView);
  }
}

/** `GET /api/bots/:id`. */
export class GetBotQuery extends Query<BotView> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly botId: string,
  ) {
    super();
  }
}

@QueryHandler(GetBotQuery)
export class GetBotHandler implements IQueryHandler<GetBotQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agent, botId }: GetBotQuery): Promise<BotView> {
    return toBotView(await adminBot(this.readStore, botId, { agent }));
  }
}

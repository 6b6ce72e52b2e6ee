import { createParamDecorator, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { RateLimitedError } from '../../../application/access/inbox-access';
import { AuthenticateBotQuery, type AuthenticatedBot } from '../../../application/bots/webhook-bot-api';
import { TokenBuckets } from '../../../plugins/token-buckets';

interface BotRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  bot?: AuthenticatedBot;
}

/** Per address, before the token is checked: bounds guessing and floods (generous for a busy bot behind one address). */
const PER_ADDRESS = { capacity: 120, perSecond: 20 };
/** Per bot, once known: a bot answering many conversations at once still fits. */
const PER_BOT = { capacity: 60, perSecond: 10 };

/**
 * The bot API's own authentication (docs/webhook-bots.md "The bot API"): `Authorization: Bearer
 * <token>` with the token issued for a webhook bot, looked up by its SHA-256. Only a bot token is
 * accepted here (an agent's session token is not one), and the agents' routes do not accept a bot
 * token (their AuthGuard knows only sessions). The routes are @Public() for that guard and carry
 * this one instead. Rate-limited per address and per bot (429 with Retry-After).
 */
@Injectable()
export class BotTokenGuard implements CanActivate {
  private readonly perAddress = new TokenBuckets(PER_ADDRESS.capacity, PER_ADDRESS.perSecond, Date.now);
  private readonly perBot = new TokenBuckets(PER_BOT.capacity, PER_BOT.perSecond, Date.now);

  constructor(private readonly queryBus: QueryBus) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<BotRequest>();
    const waitAddress = this.perAddress.take(request.ip ?? 'unknown');
    if (waitAddress !== null) throw new RateLimitedError(`too many bot API requests; try again in ${waitAddress} s`, waitAddress);
    const token = bearer(request);
    if (!token) throw new UnauthorizedException('bot authentication required: send "Authorization: Bearer <token>" with the API token issued for the bot');
    const bot = await this.queryBus.execute(new AuthenticateBotQuery(token));
    if (!bot) throw new UnauthorizedException('the bot token is not valid: it is unknown, a newer token replaced it, or its bot is inactive or removed');
    const waitBot = this.perBot.take(bot.id);
    if (waitBot !== null) throw new RateLimitedError(`too many bot API requests; try again in ${waitBot} s`, waitBot);
    request.bot = bot;
    return true;
  }
}

/** The bot BotTokenGuard authenticated for this request. */
export const CurrentBot = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedBot => {
  const request = context.switchToHttp().getRequest<BotRequest>();
  if (!request.bot) throw new Error('CurrentBot used on a route without BotTokenGuard');
  return request.bot;
});

function bearer(request: BotRequest): string | null {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match ? match[1] : null;
}

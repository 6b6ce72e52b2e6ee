import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import {
  delivered,
  type ChannelHostConnection,
  type ChannelPlugin,
  type ChannelRequest,
  type ChannelResponse,
  type DeliveryResult,
  type OutboundMessage,
} from '../channel-plugin';
import { ApiMessageDto } from './api-message.dto';
import { postSigned } from './signed-post';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M8 3H7a2 2 0 0 0-2 2v5a2 2 0 0 1-2 2 2 2 0 0 1 2 2v5a2 2 0 0 0 2 2h1"/>' +
  '<path d="M16 21h1a2 2 0 0 0 2-2v-5a2 2 0 0 1 2-2 2 2 0 0 1-2-2V5a2 2 0 0 0-2-2h-1"/></svg>';

/**
 * The API channel: custom integrations (and tests) post messages as JSON with an agent's token,
 * `POST /api/channels/api/messages` (API.md). 201 for a new message; the same externalMessageId
 * again -> 200 with `duplicate: true`; 400 naming the field for a bad message.
 *
 * Replies: with `PARLEY_PLUGIN_API_WEBHOOK_URL` set, each reply is POSTed there as JSON, signed
 * with `PARLEY_PLUGIN_API_WEBHOOK_SECRET` (`X-Parley-Signature: sha256=<hex HMAC of the body>`,
 * `Idempotency-Key: <messageId>`); 5xx and network errors are retried, 4xx are not. Without a
 * webhook the channel has no transport: replies are recorded as delivered at once, and
 * integrations read them from `GET /api/conversations/:id`.
 */
export function createApiChannelPlugin(): ChannelPlugin {
  let connection: ChannelHostConnection | null = null; // nothing to release: no disconnect
  let webhook: { url: string; secret: string } | null = null;

  async function receive(request: ChannelRequest): Promise<ChannelResponse> {
    const checked = await checkMessage(request.body);
    if (!checked.ok) return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: checked.problems } };
    const body = checked.message;
    const result = await connection!.ingest(
      {
        channel: 'api',
        inboxId: body.inboxId,
        externalThreadId: body.externalThreadId,
        externalMessageId: body.externalMessageId,
        from: body.from,
        to: body.to ?? [],
        subject: body.subject,
        text: body.text,
        html: body.html,
        receivedAt: body.receivedAt ? new Date(body.receivedAt).toISOString() : undefined,
      },
      { onBehalfOf: request.agent },
    );
    return { status: result.duplicate ? 200 : 201, body: result };
  }

  return {
    id: 'api',
    displayName: 'API',
    icon: ICON,
    channel: 'api',
    capabilities: { reply: true, html: true, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },

    connect(host) {
      connection = host;
      const url = host.config.get('WEBHOOK_URL');
      if (url !== undefined) {
        if (!/^https?:\/\/\S+$/.test(url)) throw new Error(`${host.config.variableName('WEBHOOK_URL')} must be an http(s) URL (got ${JSON.stringify(url)})`);
        webhook = { url, secret: host.config.require('WEBHOOK_SECRET') };
      }
      host.routes.post('messages', receive);
    },

    async send(outbound: OutboundMessage): Promise<DeliveryResult> {
      if (!webhook) return delivered();
      return postSigned(webhook.url, webhook.secret, { type: 'parley.reply', ...outbound }, outbound.messageId);
    },

  };
}

/**
 * class-validator over the body, each problem naming the field and the value it got (as the rest
 * of the API does); a valid body comes back as the DTO instance that was validated.
 */
async function checkMessage(body: unknown): Promise<{ ok: true; message: ApiMessageDto } | { ok: false; problems: string[] }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      problems: [`the body must be a JSON object like {"externalThreadId": …, "externalMessageId": …, "from": {"address": …}, "text": …} (got ${describeValue(body)})`],
    };
  }
  const message = plainToInstance(ApiMessageDto, body);
  const problems = flatten(await validate(message, { whitelist: true, forbidNonWhitelisted: true }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, message };
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      const text = message.startsWith(error.property) ? message.slice(error.property.length).trim() : message;
      messages.push(`${path}: ${text} (got ${describeValue(error.value)})`);
    }
    if (error.children?.length) messages.push(...flatten(error.children, path));
  }
  return messages;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

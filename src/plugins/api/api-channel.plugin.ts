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
import { sanitiseMessageHtml } from '../message-html';
import { ApiMessageDto, PartyDto } from './api-message.dto';
import { postSigned } from './signed-post';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M8 3H7a2 2 0 0 0-2 2v5a2 2 0 0 1-2 2 2 2 0 0 1 2 2v5a2 2 0 0 0 2 2h1"/>' +
  '<path d="M16 21h1a2 2 0 0 0 2-2v-5a2 2 0 0 1 2-2 2 2 0 0 1-2-2V5a2 2 0 0 0-2-2h-1"/></svg>';

/**
 * The API channel: custom integrations (and tests) post messages as JSON with an agent's token,
 * `POST /api/channels/api/messages`. 201 for a new message; the same externalMessageId
 * again -> 200 with `duplicate: true`; 400 naming the field for a bad message. `html` is cleaned
 * like an email's before it is stored.
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
        html: cleanHtml(body.html),
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
      return postSigned(connection!.http, webhook.url, webhook.secret, { type: 'parley.reply', ...outbound }, outbound.messageId);
    },
  };
}

/**
 * The integration's HTML, cleaned like an email's before it is stored (it is shown to agents the
 * same way); none at all when nothing of it is left to show.
 */
function cleanHtml(html: string | undefined): string | undefined {
  if (html === undefined) return undefined;
  const clean = sanitiseMessageHtml(html);
  return /\S/.test(clean) ? clean : undefined;
}

/**
 * class-validator over the body, each problem naming the field and the value it got (as the rest
 * of the API does); a valid body comes back as the DTO instance that was validated.
 */
async function checkMessage(body: unknown): Promise<{ ok: true; message: ApiMessageDto } | { ok: false; problems: string[] }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      problems: [
        `the body must be a JSON object like {"externalThreadId": …, "externalMessageId": …, "from": {"address": …}, "text": …} (got ${describeValue(body)})`,
      ],
    };
  }
  const plain = plainValidMessage(body);
  if (plain) return { ok: true, message: plain };
  const message = plainToInstance(ApiMessageDto, body);
  const problems = flatten(await validate(message, { whitelist: true, forbidNonWhitelisted: true }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, message };
}

const MESSAGE_FIELDS = new Set(['externalThreadId', 'externalMessageId', 'from', 'to', 'subject', 'text', 'html', 'receivedAt']);
const PARTY_FIELDS = new Set(['address', 'name']);
const NOT_BLANK = /\S/;
// The same pattern as ApiMessageDto.receivedAt's @Matches.
const RECEIVED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The common case without class-validator (which costs more per message than the rest of the
 * request's JavaScript): a body that plainly satisfies every rule of ApiMessageDto comes back as
 * the DTO plainToInstance would build; anything else (a problem, a null, an inboxId, a string
 * near a length limit) returns null and goes through class-validator, which decides and words
 * the 400. So this may only ever accept what class-validator accepts: every check below is the
 * decorator's own or stricter (lengths compare UTF-16 units, which class-validator's MaxLength
 * never counts more of).
 */
export function plainValidMessage(body: object): ApiMessageDto | null {
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!MESSAGE_FIELDS.has(key)) return null;
  const { externalThreadId, externalMessageId, from, to, subject, text, html, receivedAt } = fields;
  if (!requiredText(externalThreadId, 500) || !requiredText(externalMessageId, 500)) return null;
  const sender = plainParty(from);
  if (!sender) return null;
  let recipients: PartyDto[] | undefined;
  if (to !== undefined) {
    if (!Array.isArray(to) || to.length > 100) return null;
    recipients = [];
    for (const item of to) {
      const party = plainParty(item);
      if (!party) return null;
      recipients.push(party);
    }
  }
  if (subject !== undefined && !(typeof subject === 'string' && subject.length <= 998)) return null;
  if (!(typeof text === 'string' && text.length <= 1_000_000)) return null;
  if (html !== undefined && !(typeof html === 'string' && html.length <= 5_000_000)) return null;
  if (receivedAt !== undefined && !(typeof receivedAt === 'string' && RECEIVED_AT.test(receivedAt))) return null;
  return Object.assign(new ApiMessageDto(), fields, { from: sender, ...(recipients ? { to: recipients } : {}) });
}

function plainParty(value: unknown): PartyDto | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!PARTY_FIELDS.has(key)) return null;
  if (!requiredText(fields.address, 320)) return null;
  if (fields.name !== undefined && !(typeof fields.name === 'string' && fields.name.length <= 200)) return null;
  return Object.assign(new PartyDto(), fields);
}

function requiredText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && NOT_BLANK.test(value);
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    // An absent required field fails every check of its value (type, length…); only its absence helps.
    if (error.value === undefined && error.constraints) {
      messages.push(`${path}: is required (got nothing)`);
      continue;
    }
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

import { HttpException } from '@nestjs/common';
import { AccessDeniedError, InvalidRequestError, NotFoundError, RateLimitedError } from '../../application/access/inbox-access';
import { SetupAlreadyDoneError } from '../../application/agents/agent-commands.handler';
import { ReplyWindowClosedError } from '../../application/conversations/send-reply.handler';
import { PasswordHashingBusyError } from '../../application/agents/password-hasher';
import { ConcurrencyError, CorruptEventError, StoreUnavailableError } from '../../application/ports/event-store.port';
import { InvalidCursorError } from '../../application/ports/read-store.port';
import { InvalidFiltersError } from '../../application/search/conversation-filters';
import { DomainError, type ErrorParams } from '../../domain/shared/domain-error';
import { LOCALE_RESOURCES, type Locale } from '../i18n/i18n';
import { ValidationFailedError, describeValidationFailure } from './validation';

export interface ErrorBody {
  statusCode: number;
  error: string;
  /**
   * Which refusal this is, stable across languages and wording (docs/api.md lists them): a precise
   * one (`conversation-already-closed`) where Parley names it, else the status's (`not-found`).
   */
  code: string;
  message: string | string[];
  /** Seconds after which a retry may succeed (503). */
  retryAfter?: number;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The code of a refusal Parley names no more precisely than its status. */
const STATUS_CODES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  500: 'internal-error',
  503: 'unavailable',
};

const DOMAIN_STATUS: Record<DomainError['code'], number> = {
  'not-found': 404,
  'invalid-transition': 409,
  'invalid-input': 400,
  conflict: 409,
};

/**
 * The application's and the HTTP layer's refusals, which carry their words but no code (the
 * application cannot know the reader's language, and its errors are plain English sentences):
 * recognised here by their English text, which each entry also holds as the template that
 * apiErrors.<code> of the en locale repeats (test/i18n/api-errors.spec.ts checks both). A message
 * no entry recognises keeps its English words and its status's code.
 */
export const KNOWN_MESSAGES: readonly { code: string; template: string }[] = [
  { code: 'inbox-unknown', template: 'inbox {{inboxId}} not found' },
  { code: 'conversation-unknown', template: 'conversation {{conversationId}} not found' },
  { code: 'conversation-not-found', template: 'conversation not found; check the conversation id' },
  { code: 'conversation-not-yet', template: 'conversation {{conversationId}} did not exist yet at {{at}}' },
  { code: 'agent-unknown', template: 'agent {{agentId}} not found' },
  { code: 'view-unknown', template: 'custom view {{viewId}} not found' },
  { code: 'contact-unknown', template: 'contact {{contactId}} not found' },
  { code: 'company-unknown', template: 'company {{companyId}} not found' },
  { code: 'agent-only-contacts', template: 'contacts belong to agents: sign in as an agent' },
  { code: 'admin-only-record-settings', template: 'only admins can manage record settings' },
  { code: 'admin-only-card-properties', template: 'only admins choose the card properties' },
  { code: 'company-id-unknown', template: 'companyId: no company {{value}}; create it first or leave it out' },
  { code: 'records-query-text', template: '{{field}} must be a text of at most 500 characters, got {{value}}' },
  { code: 'records-limit', template: 'limit must be a whole number from 1 to {{max}}, got {{value}}' },
  { code: 'view-other-inbox', template: 'custom view {{viewId}} is not a view of inbox {{inboxId}}' },
  { code: 'default-inbox-missing', template: 'the default inbox does not exist yet' },
  { code: 'no-inbox', template: 'you are not a member of any inbox yet; ask an admin to add you to one' },
  { code: 'default-inbox-not-member', template: 'you are not a member of the default inbox; pass the inboxId of an inbox you belong to' },
  { code: 'admin-only', template: 'only admins can manage agents and inboxes' },
  { code: 'admin-only-inboxes', template: 'only admins can manage inboxes' },
  { code: 'admin-only-connections', template: 'only admins can manage channel connections' },
  { code: 'admin-only-bots', template: 'only admins can manage bots' },
  { code: 'admin-only-privacy', template: 'only admins can export or erase a contact' },
  { code: 'erase-confirm', template: 'confirm must repeat the contact id {{contactId}} to erase it, got {{value}}' },
  { code: 'bot-unknown', template: 'bot {{botId}} not found' },
  { code: 'current-password-wrong', template: 'currentPassword is wrong' },
  { code: 'current-password-missing', template: 'currentPassword: required to change your own password' },
  { code: 'current-password-rate-limited', template: 'too many wrong current passwords; try again in {{seconds}} s' },
  { code: 'agent-only-availability', template: 'only an agent has an availability' },
  { code: 'agent-only-preferences', template: 'only an agent has preferences' },
  { code: 'agent-only-notifications', template: 'only an agent has notifications' },
  { code: 'notifications-read-what', template: 'give either ids (the notifications to mark read) or all: true' },
  { code: 'agent-only-logout', template: 'only an agent ends their own session' },
  { code: 'agent-only-views', template: 'custom views belong to agents: sign in as an agent' },
  { code: 'agent-only-compose', template: 'only an agent can compose an email' },
  { code: 'agent-only-forward', template: 'only an agent can forward a conversation' },
  { code: 'view-not-yours', template: 'only the agent who created custom view "{{name}}" or an admin can change or delete it' },
  { code: 'assignee-unknown', template: 'assignee "{{agentId}}" is not an agent of this account' },
  { code: 'assignee-no-access', template: 'assignee "{{name}}" ({{agentId}}) has no access to inbox "{{inbox}}"; add them to its members first' },
  { code: 'ticket-unknown', template: 'ticket {{ticketId}} not found' },
  { code: 'ticket-owner-unknown', template: 'ownerId "{{agentId}}" is not an agent of this account' },
  { code: 'ticket-owner-no-access', template: 'owner "{{name}}" ({{agentId}}) has no access to inbox "{{inbox}}"; add them to its members first' },
  {
    code: 'inbox-no-email-address',
    template:
      'inboxId: inbox "{{inbox}}" has no email address to send from (and for the answer to come back to): give it one with PATCH /api/inboxes/{{inboxId}}',
  },
  { code: 'compose-to-invalid', template: 'to must be an email address, got {{value}}' },
  { code: 'agent-ids-unknown', template: 'agentIds: unknown agent id(s) {{ids}}' },
  { code: 'inbox-email-taken', template: 'emailAddress: {{address}} already belongs to inbox "{{inbox}}"' },
  { code: 'routing-channel-unknown', template: 'channels: {{channels}} is not a channel of this Parley; use one of {{known}}' },
  { code: 'capacities-agent-unknown', template: 'capacities: unknown agent id(s) {{ids}}' },
  { code: 'unblock-inbox-missing', template: 'inboxId is required for a system unblock' },
  { code: 'login-required', template: 'authentication required: send "Authorization: Bearer <token>" from POST /api/auth/login' },
  { code: 'session-invalid', template: 'the session token is invalid or expired; log in again' },
  { code: 'session-agent-gone', template: 'the agent of this session no longer exists' },
  { code: 'session-password-changed', template: 'the password changed since this session began; log in again' },
  { code: 'session-logged-out', template: 'this session was logged out; log in again' },
  { code: 'bot-auth-required', template: 'bot authentication required: send "Authorization: Bearer <token>" with the API token issued for the bot' },
  {
    code: 'bot-token-invalid',
    template: 'the bot token is not valid: it is unknown, a newer token replaced it, or its bot is inactive or removed',
  },
  { code: 'bot-api-rate-limited', template: 'too many bot API requests; try again in {{seconds}} s' },
  { code: 'idempotency-key-invalid', template: 'Idempotency-Key must be 1 to 200 characters (got {{length}})' },
  { code: 'login-wrong', template: 'email or password is wrong' },
  { code: 'login-rate-limited', template: 'too many failed logins; try again in {{seconds}} s' },
  { code: 'login-busy', template: 'the server is busy checking other logins; try again in {{seconds}} s' },
  { code: 'password-checks-busy', template: 'too many password checks are waiting; try again in a second' },
  {
    code: 'cookie-write-foreign',
    template:
      'a {{method}} with the session cookie must come from a Parley page (an Origin of this server, or HX-Request); other clients send "Authorization: Bearer <token>" from POST /api/auth/login',
  },
  { code: 'form-foreign', template: 'this form must be sent from a Parley page (Origin or HX-Request missing or foreign); reload the page and try again' },
  { code: 'param-not-uuid', template: '{{field}}: must be a UUID (got {{value}})' },
  { code: 'if-match-invalid', template: 'If-Match: expected a revision like "3" as sent in ETag (got {{value}})' },
  {
    code: 'param-not-instant',
    template: '{{field}}: must be an ISO 8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z, or a date, e.g. 2026-11-24 (got {{value}})',
  },
  { code: 'view-id-unknown', template: 'viewId: unknown view "{{viewId}}"; known views are {{known}}, or a custom view id' },
  { code: 'cursor-invalid', template: 'cursor is not valid: pass back the nextCursor of a previous page unchanged, or omit it for the first page' },
  { code: 'report-period-reversed', template: 'from must not be after to (from {{from}}, to {{to}})' },
  { code: 'report-period-too-long', template: 'to: the period may span at most {{max}} days (from {{from}} to {{to}} spans {{days}})' },
  { code: 'setup-done', template: 'setup is already done: an agent exists; log in instead' },
  {
    code: 'attachment-too-large',
    template: 'the file is larger than {{max}} bytes (10 MiB), the most one attachment may have; send a smaller file',
  },
  { code: 'attachment-no-filename', template: 'filename: name the file in ?filename= (got {{value}})' },
  { code: 'attachment-no-body', template: "body: send the file's bytes as the request body, with the file's Content-Type" },
  { code: 'attachment-empty', template: 'body: the file is empty; send its bytes as the request body' },
  { code: 'attachment-unknown', template: 'attachment {{attachmentId}} not found in conversation {{conversationId}}' },
  { code: 'attachments-too-many', template: 'attachmentIds: at most {{max}} files per reply (got {{count}})' },
  { code: 'attachment-not-uploaded', template: 'attachmentIds: {{attachmentId}} is not a file uploaded to this conversation; upload it first' },
  { code: 'attachments-not-supported', template: 'attachments: the {{channel}} channel does not send attachments; reply without files' },
  {
    code: 'channel-plugin-gone',
    template: 'settings: the {{type}} channel is not loaded any more, so its settings cannot be checked; remove the connection or load the plugin again',
  },
  { code: 'channel-connection-unknown', template: 'channel connection {{connectionId}} not found in inbox {{inboxId}}' },
  { code: 'channel-type-not-connectable', template: 'type: {{type}} is not a channel that connects to inboxes; use one of {{known}}' },
  {
    code: 'channel-type-none-connectable',
    template: 'type: {{type}} is not a channel that connects to inboxes; no loaded channel plugin has per-inbox connections',
  },
  {
    code: 'channel-settings-field-not-object',
    template: '{{field}} must be an object of the channel\'s settings, e.g. {"allowedOrigins":["https://example.com"]}',
  },
  {
    code: 'channel-settings-too-large',
    template: "{{field}} must be at most {{max}} bytes of JSON (it has {{size}}); keep large content out of a channel's settings",
  },
  {
    code: 'channel-secret-undecryptable',
    template: 'settings.{{key}}: the stored secret cannot be decrypted (the instance key changed); enter the secret again',
  },
  { code: 'continues-id-invalid', template: 'continuesConversationId must be a conversation id (a UUID), got {{value}}' },
  {
    code: 'transcript-not-kept',
    template: 'the {{channel}} channel keeps no transcripts: only conversations of a channel that declares the transcript capability (such as chat) have one',
  },
  { code: 'template-not-supported', template: 'template: the {{channel}} channel does not send templates; write the reply instead' },
  { code: 'reply-channel-cannot-send', template: 'channel: the {{channel}} channel cannot send replies; answer on another channel, such as email' },
  { code: 'reply-cc-not-supported', template: 'cc: the {{channel}} channel does not take To or Cc; leave to and cc out to answer the contact' },
  {
    code: 'template-with-text',
    template: "text: leave text and html out when sending a template; the template's body with its parameters is the text",
  },
  { code: 'template-with-files', template: 'attachmentIds: a template reply takes no files; send them in a reply of their own' },
  {
    code: 'template-unknown',
    template: "template.name: {{value}} is not an approved template of this conversation's channel; use one of {{known}}",
  },
  { code: 'template-language-unknown', template: 'template.language: template "{{name}}" is not approved in {{value}}; use one of {{known}}' },
  { code: 'template-parameter-count', template: 'template.parameters: template "{{name}}" takes {{expected}} parameters (got {{count}})' },
  { code: 'template-parameter-empty', template: 'template.parameters[{{index}}]: must not be empty' },
  { code: 'template-parameter-too-long', template: 'template.parameters[{{index}}]: must be at most {{max}} characters (got {{length}})' },
  { code: 'template-parameter-layout', template: 'template.parameters[{{index}}]: must be one line, without tabs or more than four spaces in a row' },
  { code: 'inbound-files-not-list', template: 'files: must be a list of files (got {{value}})' },
  { code: 'inbound-files-too-many', template: 'files: at most {{max}} files per message (got {{count}})' },
  { code: 'inbound-file-content', template: "files[{{index}}].content: must be the file's bytes, a non-empty Buffer (got {{value}})" },
  { code: 'inbound-file-too-large', template: 'files[{{index}}].content: at most {{max}} bytes per file (got {{size}})' },
  { code: 'inbound-file-type', template: 'files[{{index}}].contentType: must be a media type like image/jpeg (got {{value}})' },
  { code: 'inbound-file-name', template: "files[{{index}}].filename: must be the file's name as text (got {{value}})" },
  { code: 'inbound-files-total-too-large', template: 'files: at most {{max}} bytes in all per message (got {{size}})' },
  { code: 'message-fields-invalid', template: 'fields: must be a list of at most {{max}} fields (got {{value}})' },
  { code: 'message-field-key', template: 'fields[{{index}}].key: must be 1 to {{max}} characters (got {{value}})' },
  {
    code: 'message-field-label',
    template: "fields[{{index}}].label: must be texts by language of at most {{max}} characters with a non-empty English one, { en: '…' } (got {{value}})",
  },
  { code: 'message-field-value', template: 'fields[{{index}}].value: must be text of at most {{max}} characters (got {{value}})' },
  { code: 'message-field-url', template: 'fields[{{index}}].url: must be an http(s) URL of at most {{max}} characters (got {{value}})' },
  {
    code: 'inbound-reaction-invalid',
    template: "reaction: must be { toExternalMessageId, emoji } with the reacted-to message's id and the emoji as text (got {{value}})",
  },
  { code: 'inbound-spam-invalid', template: 'spam: must be true or false (got {{value}})' },
  { code: 'reaction-thread-unknown', template: 'thread {{thread}} of the {{channel}} channel not found; a reaction needs its conversation' },
  { code: 'json-too-deep', template: 'the JSON body is nested deeper than {{max}} levels of objects and arrays; send a flatter body' },
];

/** The edge's own refusals, answered in the reader's language too. */
export const EDGE_MESSAGES = {
  'revision-conflict': 'the conversation changed meanwhile (expected revision {{expected}}, now {{actual}}); reload it and try again',
  'storage-unavailable': 'storage is unavailable right now; retry shortly',
  'body-too-large': 'the request body is larger than PARLEY_BODY_LIMIT_BYTES allows',
  'body-not-json': 'send the body as application/json',
  'body-empty-json': 'the body is empty but Content-Type is application/json; send a JSON object',
  'body-invalid-json': 'the body is not valid JSON: {{detail}}',
  unexpected: 'an unexpected error occurred; it has been logged',
} as const;

type Described = { statusCode: number; code: string; message: string | string[]; params?: ErrorParams; retryAfter?: number };

const patterns = KNOWN_MESSAGES.map(({ code, template }) => ({ code, ...compile(template) }));

/** A template as a regex whose named groups are its `{{params}}` (each matching anything, lazily). */
function compile(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{\{\s*\w+\s*\}\})/)
    .map((part) => {
      const param = /^\{\{\s*(\w+)\s*\}\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '(.*?)';
    })
    .join('');
  return { regex: new RegExp(`^${source}$`, 's'), names };
}

/** The code and params of an English message an entry of KNOWN_MESSAGES recognises, else null. */
export function recogniseMessage(message: string): { code: string; params: ErrorParams } | null {
  for (const { code, regex, names } of patterns) {
    const match = regex.exec(message);
    if (match) return { code, params: Object.fromEntries(names.map((name, i) => [name, match[i + 1]])) };
  }
  return null;
}

const edge = (statusCode: number, code: keyof typeof EDGE_MESSAGES, params: ErrorParams = {}): Described => ({
  statusCode,
  code,
  params,
  message: EDGE_MESSAGES[code].replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(params[name])),
});

/** A refusal in the application's words: its code and params when recognised. */
function worded(statusCode: number, message: string | string[]): Described {
  if (Array.isArray(message)) return { statusCode, code: STATUS_CODES[statusCode] ?? 'error', message };
  const known = recogniseMessage(message);
  return known ? { statusCode, message, ...known } : { statusCode, code: STATUS_CODES[statusCode] ?? 'error', message };
}

function classify(error: unknown): Described {
  if (error instanceof DomainError) {
    const statusCode = DOMAIN_STATUS[error.code];
    return error.reason ? { statusCode, code: error.reason, params: error.params, message: error.message } : worded(statusCode, error.message);
  }
  // The channel plugin gives the words (in every language it speaks): no template of ours to recognise.
  if (error instanceof ReplyWindowClosedError) return { statusCode: 409, code: error.code, message: error.message };
  if (error instanceof ConcurrencyError) return edge(409, 'revision-conflict', { expected: String(error.expected), actual: String(error.actual) });
  if (error instanceof ValidationFailedError) return { statusCode: 400, code: 'validation-failed', message: error.messages };
  if (error instanceof AccessDeniedError) return worded(403, error.message);
  if (error instanceof NotFoundError) return worded(404, error.message);
  if (error instanceof InvalidRequestError) return worded(400, error.message);
  if (error instanceof InvalidCursorError) return worded(400, error.message);
  if (error instanceof InvalidFiltersError) return { statusCode: 400, code: 'filters-invalid', message: error.errors };
  if (error instanceof SetupAlreadyDoneError) return worded(409, error.message);
  if (error instanceof CorruptEventError) return { statusCode: 500, code: 'corrupt-event', message: error.message };
  if (error instanceof RateLimitedError) return { ...worded(429, error.message), retryAfter: error.retryAfterSeconds };
  if (error instanceof PasswordHashingBusyError) return { ...worded(429, error.message), retryAfter: error.retryAfterSeconds };
  if (error instanceof StoreUnavailableError) return { ...edge(503, 'storage-unavailable'), retryAfter: 5 };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? error.message);
    const retryAfter = typeof response === 'object' ? (response as { retryAfter?: unknown }).retryAfter : undefined;
    return { ...worded(status, message), ...(typeof retryAfter === 'number' ? { retryAfter } : {}) };
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return edge(413, 'body-too-large');
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return edge(415, 'body-not-json');
    if (fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return edge(400, 'body-empty-json');
    return worded(fastify.statusCode, fastify.message ?? 'bad request');
  }
  if (error instanceof SyntaxError) return edge(400, 'body-invalid-json', { detail: error.message });
  return edge(500, 'unexpected');
}

/**
 * One mapping from every error the application can raise to docs/api.md's error shape. Unknown errors
 * become a 500 whose message reveals nothing internal (the details go to the log). With a locale,
 * the message is in the reader's language: refusals with a code from apiErrors.<code>, validation
 * failures per constraint; English (no locale, or `en`) keeps the words the code wrote.
 */
export function describeError(error: unknown, locale?: Locale): ErrorBody {
  const described = inReadersTime(classify(error), locale);
  const { statusCode, code, retryAfter } = described;
  return {
    statusCode,
    error: REASONS[statusCode] ?? 'Error',
    code,
    message: translate(error, described, locale),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

/**
 * Refusals whose params name a moment the reader acts on (rule 9: "close it from …"): with a
 * locale, the moment reads as a date and time in the reader's zone (the agent's saved one, else
 * the browser's, else UTC) with the zone named, and the message is worded again with it.
 */
const LOCAL_TIME_PARAMS: Record<string, readonly string[]> = { 'bot-close-too-early': ['from'] };

function inReadersTime(described: Described, locale: Locale | undefined): Described {
  const names = LOCAL_TIME_PARAMS[described.code];
  if (!names || !locale || !described.params || !hasTranslation(locale, `apiErrors.${described.code}`)) return described;
  const params: ErrorParams = { ...described.params };
  for (const name of names) {
    const value = params[name];
    const local = typeof value === 'string' ? locale.formatDate(value, 'long') : '';
    if (local) params[name] = `${local} (${locale.timeZone})`;
  }
  return { ...described, params, message: locale.t(`apiErrors.${described.code}`, params) };
}

function translate(error: unknown, described: Described, locale: Locale | undefined): string | string[] {
  if (!locale || locale.language === 'en') return described.message;
  if (error instanceof ReplyWindowClosedError) return error.reasonIn(locale.language);
  if (error instanceof ValidationFailedError) return describeValidationFailure(error, locale);
  if (typeof described.message !== 'string' || !described.params) return described.message;
  const key = `apiErrors.${described.code}`;
  // A code without a translation (a new refusal not yet in the locale files) keeps its English words.
  return hasTranslation(locale, key) ? locale.t(key, described.params) : described.message;
}

function hasTranslation(locale: Locale, key: string): boolean {
  const text = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], LOCALE_RESOURCES[locale.language]);
  return typeof text === 'string';
}

'use strict';
/**
 * parley-plugin-signed-webhook: a generic channel for any system that can send and receive signed
 * webhooks (a shop, a booking tool, a home-grown chat). A complete third-party Parley channel
 * plugin with no dependencies: it uses only what Parley hands it in connect().
 *
 * Inbound:  POST /channels/signed-webhook/messages (public route)
 *           X-Parley-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with SECRET>
 *           {"threadId", "messageId", "from": {"address", "name"?}, "subject"?, "text", "html"?, "sentAt"?}
 *           -> 201 {conversationId, messageId, duplicate: false}; the same messageId again -> 200, duplicate: true;
 *              401 on a missing or wrong signature (checked BEFORE anything is read or stored); 400 naming bad fields.
 * Outbound: replies are POSTed as JSON to OUTBOUND_URL through connection.http (Parley's outbound guard),
 *           signed the same way, with Idempotency-Key: <Parley's messageId>. 2xx delivered; network errors,
 *           timeouts, 408, 429, 5xx retryable; any other status, and a target the guard refuses, permanent.
 *
 * Settings (environment): PARLEY_PLUGIN_SIGNED_WEBHOOK_SECRET (at least 16 characters),
 *                         PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL (http or https URL).
 *
 * Types: Parley's plugin SDK by package name, `parley/plugin` (ChannelPlugin, ChannelHostConnection …),
 * used here through JSDoc only, so the plugin needs nothing of Parley's at run time; its tests use
 * the conformance kit, `parley/plugin/testing`.
 *
 * @typedef {import('parley/plugin').ChannelPlugin} ChannelPlugin
 * @typedef {import('parley/plugin').ChannelHostConnection} ChannelHostConnection
 * @typedef {import('parley/plugin').ChannelRequest} ChannelRequest
 * @typedef {import('parley/plugin').ChannelResponse} ChannelResponse
 */
const crypto = require('node:crypto');

const ID = 'signed-webhook';
const SIGNATURE_HEADER = 'x-parley-signature';
const SEND_TIMEOUT_MS = 10_000;
const MAX_FIELD = 1_000_000;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">' +
  '<path d="M18 16.98h-5.99c-1.1 0-1.95.94-2.48 1.9A4 4 0 0 1 2 17c.01-.7.2-1.4.57-2"/>' +
  '<path d="m6 17 3.13-5.78c.53-.97.1-2.18-.5-3.1a4 4 0 1 1 6.89-4.06"/>' +
  '<path d="m12 6 3.13 5.73C15.66 12.7 16.9 13 18 13a4 4 0 0 1 0 8"/></svg>';

/** `sha256=<hex>` over the exact bytes. */
function sign(secret, body) {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of the signature header against the raw body. */
function signatureMatches(secret, rawBody, header) {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(sign(secret, rawBody), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual needs equal lengths; comparing lengths first leaks only the length, which is public.
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

function error(status, message) {
  const reasons = { 400: 'Bad Request', 401: 'Unauthorized' };
  return { status, body: { statusCode: status, error: reasons[status] || 'Error', message } };
}

const isText = (value, max = 500) => typeof value === 'string' && value.trim() !== '' && value.length <= max;

/** The problems of an inbound payload, each naming its field. */
function payloadProblems(payload) {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return ['the body must be a JSON object'];
  const problems = [];
  if (!isText(payload.threadId)) problems.push('threadId must be a non-empty string of at most 500 characters');
  if (!isText(payload.messageId)) problems.push('messageId must be a non-empty string of at most 500 characters');
  if (typeof payload.from !== 'object' || payload.from === null || !isText(payload.from.address, 320)) {
    problems.push('from.address must be a non-empty string (an email address, phone number or user id)');
  } else if (payload.from.name !== undefined && typeof payload.from.name !== 'string') {
    problems.push('from.name must be a string when given');
  }
  if (payload.subject !== undefined && typeof payload.subject !== 'string') problems.push('subject must be a string when given');
  if (typeof payload.text !== 'string' || payload.text.length > MAX_FIELD) problems.push('text must be a string');
  if (payload.html !== undefined && (typeof payload.html !== 'string' || payload.html.length > MAX_FIELD)) problems.push('html must be a string when given');
  if (payload.sentAt !== undefined && (typeof payload.sentAt !== 'string' || Number.isNaN(Date.parse(payload.sentAt)))) {
    problems.push('sentAt must be an ISO-8601 date-time such as 2026-11-24T10:00:00Z when given');
  }
  return problems;
}

/**
 * A fresh plugin; Parley calls this once per application.
 * @returns {ChannelPlugin}
 */
function createChannelPlugin() {
  /** @type {ChannelHostConnection | null} */
  let connection = null;
  let secret = null;
  let outboundUrl = null;

  /**
   * @param {ChannelRequest} request
   * @returns {Promise<ChannelResponse>}
   */
  async function receive(request) {
    // 1. Authenticity first: nothing from an unsigned or wrongly signed request is parsed or stored.
    if (!signatureMatches(secret, request.rawBody, request.headers[SIGNATURE_HEADER])) {
      connection.logger.warn({ ip: request.ip }, 'refused a webhook with a missing or wrong signature');
      return error(401, `the ${SIGNATURE_HEADER} header must be sha256=<hex HMAC-SHA256 of the body> made with the shared secret`);
    }
    // 2. Then the payload (parsed from the signed bytes, whatever the content type said).
    let payload;
    try {
      payload = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      return error(400, 'the body must be JSON');
    }
    const problems = payloadProblems(payload);
    if (problems.length > 0) return error(400, problems);
    // 3. Hand it to Parley: the same messageId again is a no-op (duplicate: true).
    const result = await connection.ingest({
      channel: ID,
      externalThreadId: payload.threadId,
      externalMessageId: payload.messageId,
      from: payload.from.name === undefined ? { address: payload.from.address } : { address: payload.from.address, name: payload.from.name },
      to: [],
      subject: payload.subject,
      text: payload.text,
      html: payload.html,
      receivedAt: payload.sentAt === undefined ? undefined : new Date(payload.sentAt).toISOString(),
    });
    return { status: result.duplicate ? 200 : 201, body: result };
  }

  return {
    id: ID,
    displayName: 'Signed webhook',
    icon: ICON,
    channel: ID,
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },

    connect(host) {
      connection = host;
      secret = host.config.require('SECRET');
      if (secret.length < 16) throw new Error(`${host.config.variableName('SECRET')} must be at least 16 characters`);
      outboundUrl = host.config.require('OUTBOUND_URL');
      if (!/^https?:\/\/[^\s/]+/.test(outboundUrl)) {
        throw new Error(`${host.config.variableName('OUTBOUND_URL')} must be an http(s) URL (got ${JSON.stringify(outboundUrl)})`);
      }
      host.routes.post('messages', receive, { public: true, rawBody: true });
    },

    async send(outbound) {
      const body = JSON.stringify({
        type: outbound.kind,
        conversationId: outbound.conversationId,
        messageId: outbound.messageId,
        threadId: outbound.thread.externalThreadId,
        inReplyTo: outbound.thread.externalMessageIds[outbound.thread.externalMessageIds.length - 1] ?? null,
        to: outbound.to,
        subject: outbound.subject,
        text: outbound.text,
      });
      const host = new URL(outboundUrl).host;
      let response;
      try {
        // Through Parley's outbound guard, never fetch: it refuses private and internal targets
        // (unless the operator allows them) and bounds time and size.
        response = await connection.http.request(outboundUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(secret, body), 'idempotency-key': outbound.messageId },
          body,
          redirect: 'manual',
          timeoutMs: SEND_TIMEOUT_MS,
        });
      } catch (err) {
        // A refused target (or a bad request) stays refused: retrying cannot help. Timeouts and network errors can pass.
        if (err && err.retryable === false) return { status: 'failed', retryable: false, reason: String(err.message || err) };
        return { status: 'failed', retryable: true, reason: `could not reach ${host}: ${(err && err.message) || err}` };
      }
      if (response.status >= 200 && response.status < 300) return { status: 'delivered' };
      const what = `${host} answered ${response.status}`;
      if (response.status >= 500 || response.status === 408 || response.status === 429) return { status: 'failed', retryable: true, reason: what };
      return { status: 'failed', retryable: false, reason: `${what}; the receiver refused the reply` };
    },

    // disconnect() is optional: this plugin holds no sockets, timers or files. A plugin that does
    // (an SMTP server, a polling loop) releases them there; Parley calls it after its HTTP server
    // closed, so requests in flight at shutdown are still answered.
  };
}

module.exports = createChannelPlugin;
module.exports.createChannelPlugin = createChannelPlugin;
module.exports.sign = sign;

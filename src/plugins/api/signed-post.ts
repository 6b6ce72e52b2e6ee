import { createHmac } from 'node:crypto';
import { permanentFailure, retryableFailure, type DeliveryResult, type PluginHttp, type PluginHttpError } from '../channel-plugin';

/** `sha256=<hex HMAC-SHA256 of the exact body>`, the signature header of Parley's webhooks. */
export function signatureOf(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const TIMEOUT_MS = 10_000;

/**
 * POSTs JSON with `X-Parley-Signature` and `Idempotency-Key` headers through the host's outbound
 * guard and classifies the outcome for the delivery job: 2xx delivered; network errors, timeouts,
 * 408, 429 and 5xx retryable; a refused target and any other answer (4xx, a redirect) permanent,
 * since sending the same request again cannot help.
 */
export async function postSigned(http: PluginHttp, url: string, secret: string, payload: unknown, idempotencyKey: string): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  let status: number;
  try {
    ({ status } = await http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-parley-signature': signatureOf(secret, body), 'idempotency-key': idempotencyKey },
      body,
      // A signed POST is not re-sent wherever a redirect points: the receiver must be configured at its real URL.
      redirect: 'manual',
      timeoutMs: TIMEOUT_MS,
    }));
  } catch (error) {
    const failure = error as Partial<PluginHttpError>;
    const reason = failure.code === 'OUTBOUND_REFUSED' ? failure.message! : `could not reach the webhook (${failure.message ?? String(error)})`;
    return failure.retryable === false ? permanentFailure(reason) : retryableFailure(reason);
  }
  if (status >= 200 && status < 300) return { status: 'delivered' };
  const what = `${new URL(url).host} answered ${status}`;
  if (status >= 500 || status === 408 || status === 429) return retryableFailure(what);
  return permanentFailure(`${what}; the request was refused, so it is not retried`);
}

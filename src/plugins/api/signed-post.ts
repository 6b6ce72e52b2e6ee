import { createHmac } from 'node:crypto';
import { permanentFailure, retryableFailure, type DeliveryResult } from '../channel-plugin';

/** `sha256=<hex HMAC-SHA256 of the exact body>`, the signature header of Parley's webhooks. */
export function signatureOf(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const TIMEOUT_MS = 10_000;

/**
 * POSTs JSON with `X-Parley-Signature` and `Idempotency-Key` headers and classifies the outcome
 * for the delivery job: 2xx delivered; network errors, timeouts, 408, 429 and 5xx retryable;
 * any other answer (4xx, a redirect) permanent, since sending the same request again cannot help.
 */
export async function postSigned(url: string, secret: string, payload: unknown, idempotencyKey: string): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-parley-signature': signatureOf(secret, body), 'idempotency-key': idempotencyKey },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } })?.cause?.code;
    return retryableFailure(`could not reach ${new URL(url).host}: ${cause ?? (error as Error).message}`);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { status: 'delivered' };
  const what = `${new URL(url).host} answered ${response.status}`;
  if (response.status >= 500 || response.status === 408 || response.status === 429) return retryableFailure(what);
  return permanentFailure(`${what}; the request was refused, so it is not retried`);
}

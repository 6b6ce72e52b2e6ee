import type { DeliveryResult, PluginHttp, PluginHttpError } from '../channel-plugin';

/** A failed send, as `send` answers it. */
export type GraphFailure = Extract<DeliveryResult, { status: 'failed' }>;
const retryableFailure = (reason: string): GraphFailure => ({ status: 'failed', retryable: true, reason });
const permanentFailure = (reason: string): GraphFailure => ({ status: 'failed', retryable: false, reason });

/** Meta's Graph API, as a connection reaches it unless its `graphApiBaseUrl` says otherwise (tests, proxies). */
export const DEFAULT_GRAPH_API_BASE_URL = 'https://graph.facebook.com';
/** The Graph API version a new connection uses unless its `apiVersion` says otherwise. */
export const DEFAULT_GRAPH_API_VERSION = 'v23.0';
export const GRAPH_API_VERSION_PATTERN = /^v\d{1,3}\.\d{1,2}$/;

/** Where one connection talks to the Graph API, and with which token. */
export interface GraphTarget {
  baseUrl: string;
  apiVersion: string;
  accessToken: string;
}

/** The error envelope Meta answers with: `{ error: { message, type, code, error_subcode, error_data } }`. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_data?: { details?: string } | string;
}

export type GraphResult<T> =
  | { ok: true; status: number; body: T; raw: Buffer; headers: Record<string, string> }
  | { ok: false; failure: GraphFailure; error?: GraphErrorBody; status?: number };

export interface GraphCall {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Relative to the version: `me/messages`, `1234/messages`, `<media-id>`. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  /** A multipart body (media upload), sent as is with its content type. */
  body?: { contentType: string; bytes: Uint8Array };
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/** The URL of a Graph API call, e.g. `https://graph.facebook.com/v23.0/1234/messages`. */
export function graphUrl(target: Pick<GraphTarget, 'baseUrl' | 'apiVersion'>, path: string, query: Record<string, string> = {}): string {
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/${target.apiVersion}/${path.replace(/^\/+/, '')}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * One Graph API call through the host's outbound guard, the token as a bearer header (never in
 * the URL, which ends up in logs), classified for the delivery job: see `classifyGraphError`.
 */
export async function callGraph<T = unknown>(http: PluginHttp, target: GraphTarget, call: GraphCall): Promise<GraphResult<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.accessToken}`, accept: 'application/json' };
  let payload: string | Uint8Array | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(call.json);
  } else if (call.body) {
    headers['content-type'] = call.body.contentType;
    payload = call.body.bytes;
  }
  const url = graphUrl(target, call.path, call.query);
  let response;
  try {
    response = await http.request(url, {
      method: call.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      redirect: 'manual',
      timeoutMs: call.timeoutMs ?? 20_000,
      ...(call.maxResponseBytes ? { maxResponseBytes: call.maxResponseBytes } : {}),
    });
  } catch (error) {
    const failure = error as Partial<PluginHttpError>;
    const reason = failure.code === 'OUTBOUND_REFUSED' ? failure.message! : `could not reach the Graph API (${failure.message ?? String(error)})`;
    return { ok: false, failure: failure.retryable === false ? permanentFailure(reason) : retryableFailure(reason) };
  }
  if (response.status >= 200 && response.status < 300) {
    const isJson = (response.headers['content-type'] ?? '').includes('json');
    let body: unknown = undefined;
    if (isJson) {
      try {
        body = JSON.parse(response.body.toString('utf8'));
      } catch {
        return { ok: false, failure: retryableFailure('the Graph API answered JSON that cannot be read'), status: response.status };
      }
    }
    return { ok: true, status: response.status, body: body as T, raw: response.body, headers: response.headers };
  }
  let error = graphErrorOf(response.body);
  if (error && typeof error.message === 'string') error = { ...error, message: withoutToken(error.message, target.accessToken) };
  return { ok: false, failure: classifyGraphError(response.status, error, target.accessToken), ...(error ? { error } : {}), status: response.status };
}

/** The `error` object of a Graph API error answer's JSON body; undefined when the body is not JSON or has none. */
export function graphErrorOf(body: Buffer): GraphErrorBody | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { error?: GraphErrorBody } | null)?.error;
  } catch {
    return undefined;
  }
}

/**
 * Meta's error texts may repeat the token they refused ("Malformed access token EAAG…"): the token
 * given, and anything shaped like a Meta access token, is cut out before a reason is kept, shown
 * to agents or logged.
 */
export function withoutToken(text: string, token?: string): string {
  const cut = token && token.length >= 8 ? text.split(token).join('[token]') : text;
  return cut.replace(/\bEAA[A-Za-z0-9_-]{16,}/g, '[token]');
}

/** Codes Meta documents as "try again later": throttling and temporary errors. */
const RETRYABLE_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131048, 131056, 133004]);

/**
 * A failed Graph API answer as the delivery job needs it: retryable for throttling (429, codes 4,
 * 17, 32, 613, 80007, 130429 …), temporary errors (5xx, code 1 / 2, `is_transient`); permanent for
 * everything else (an expired token, a closed window, a bad recipient): sending the same again
 * cannot help. The reason carries Meta's message and code, never the token (`accessToken`, and
 * anything shaped like one, is cut out of Meta's text).
 */
export function classifyGraphError(status: number, error: GraphErrorBody | undefined, accessToken?: string): GraphFailure {
  const details = typeof error?.error_data === 'object' ? error.error_data.details : typeof error?.error_data === 'string' ? error.error_data : undefined;
  const code = error?.code;
  const text = withoutToken([error?.message, details].filter(Boolean).join(' — ') || `the Graph API answered ${status}`, accessToken);
  const reason = code === undefined ? text : `${text} (code ${code}${error?.error_subcode ? `/${error.error_subcode}` : ''})`;
  const retryable = status === 429 || status >= 500 || error?.is_transient === true || (code !== undefined && RETRYABLE_CODES.has(code));
  // An expired or revoked token (190) needs an admin: permanent, whatever the status.
  if (code === 190) return permanentFailure(`${reason}; give the connection a new access token in Inbox settings`);
  return retryable ? retryableFailure(reason) : permanentFailure(reason);
}

import { TEST_ADMIN } from './server-process';

/**
 * JSON over real HTTP to a server started by server-process.ts (fetch, keep-alive): what the
 * process tests send and read. Transport failures reject (describeFetchError names them), so a
 * caller can tell "the server answered" from "the server went away".
 */

export interface Reply<T = any> {
  status: number;
  body: T;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Generous: only a hung server should ever reach it. */
  timeoutMs?: number;
}

export async function call<T = any>(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: the text itself */
  }
  return { status: res.status, body: body as T };
}

/** The configured admin's bearer token. */
export async function login(baseUrl: string): Promise<string> {
  const res = await call(baseUrl, 'POST', '/api/auth/login', { body: TEST_ADMIN });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

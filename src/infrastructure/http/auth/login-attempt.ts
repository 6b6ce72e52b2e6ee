import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from './auth.guard';
import type { LoginThrottle } from './login-throttle';
import { DEVICE_COOKIE, DEVICE_PROOF_MAX_AGE, type SessionTokens } from './session-tokens';

/**
 * One login attempt for the API and the web form alike: throttled (the device proof decides
 * whether the per-email limit applies), and a success marks this browser as a known device of
 * that email for the next time.
 */
export async function attemptLogin<T>(
  deps: { throttle: LoginThrottle; tokens: SessionTokens; secureCookies: boolean },
  request: FastifyRequest,
  reply: FastifyReply,
  email: string,
  check: () => Promise<T | null>,
): Promise<T | null> {
  const knownDevice = deps.tokens.verifyDeviceProof(readCookie(request, DEVICE_COOKIE), email);
  const result = await deps.throttle.attempt(email, request.ip, check, { knownDevice });
  if (result !== null) {
    void reply.header(
      'Set-Cookie',
      `${DEVICE_COOKIE}=${deps.tokens.issueDeviceProof(email)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_PROOF_MAX_AGE}${deps.secureCookies ? '; Secure' : ''}`,
    );
  }
  return result;
}

import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetSessionAgentQuery } from '../../../application/queries/directory-queries.handler';
import { IS_PUBLIC, type AuthenticatedRequest } from './auth.decorators';
import { SESSION_COOKIE, SessionTokens, type SessionClaims } from './session-tokens';

/** Global guard: every route needs a valid session unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: SessionTokens,
    private readonly queryBus: QueryBus,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { agent, session } = await authenticateRequest(request, this.tokens, this.queryBus);
    request.agent = agent;
    request.session = session;
    return true;
  }
}

/**
 * The session check of every authenticated route (the guard's, and channel plugins' routes that
 * the plugin registry mounts outside Nest): the agent of the request's bearer token or session
 * cookie, or UnauthorizedException saying what to do.
 */
export async function authenticateSession(
  request: Pick<AuthenticatedRequest, 'headers'>,
  tokens: SessionTokens,
  queryBus: QueryBus,
): Promise<AuthenticatedAgent> {
  return (await authenticateRequest(request, tokens, queryBus)).agent;
}

/** As authenticateSession, with the session the token belongs to. */
export async function authenticateRequest(
  request: Pick<AuthenticatedRequest, 'headers'>,
  tokens: SessionTokens,
  queryBus: QueryBus,
): Promise<{ agent: AuthenticatedAgent; session: SessionClaims }> {
  const token = requestToken(request);
  if (!token) throw new UnauthorizedException('authentication required: send "Authorization: Bearer <token>" from POST /api/auth/login');
  const claims = tokens.verify(token);
  if (!claims) throw new UnauthorizedException('the session token is invalid or expired; log in again');
  const checked = await checkSession(claims, queryBus);
  if (typeof checked === 'string') throw new UnauthorizedException(checked);
  return { agent: checked, session: claims };
}

/**
 * Whether a verified token's session still holds, asked of the shared read store (so a logout or a
 * password change on any instance counts here): the agent, or why the session is over.
 */
export async function checkSession(claims: SessionClaims, queryBus: QueryBus): Promise<AuthenticatedAgent | string> {
  const session = await queryBus.execute(new GetSessionAgentQuery(claims.sub, claims.sid));
  if (!session) return 'the agent of this session no longer exists';
  if (session.credentialFingerprint !== claims.cf) return 'the password changed since this session began; log in again';
  if (session.sessionEnded) return 'this session was logged out; log in again';
  const { agent, preferences } = session;
  return { id: agent.id, name: agent.name, email: agent.email, role: agent.role, language: preferences.language, timeZone: preferences.timeZone };
}

/** The bearer token, else the session cookie's. */
export function requestToken(request: Pick<AuthenticatedRequest, 'headers'>): string | null {
  return bearerToken(request) ?? cookieToken(request);
}

function bearerToken(request: Pick<AuthenticatedRequest, 'headers'>): string | null {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match ? match[1] : null;
}

function cookieToken(request: Pick<AuthenticatedRequest, 'headers'>): string | null {
  return readCookie(request, SESSION_COOKIE);
}

/** The value of the cookie `wanted`; null when absent or not decodable. */
export function readCookie(request: Pick<AuthenticatedRequest, 'headers'>, wanted: string): string | null {
  const header = request.headers.cookie;
  const value = Array.isArray(header) ? header.join('; ') : header;
  if (!value) return null;
  for (const part of value.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== wanted) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return null; // malformed percent-encoding: not a token we issued
    }
  }
  return null;
}

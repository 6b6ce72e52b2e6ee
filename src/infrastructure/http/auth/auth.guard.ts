import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetSessionAgentQuery } from '../../../application/queries/directory-queries.handler';
import { IS_PUBLIC, type AuthenticatedRequest } from './auth.decorators';
import { SESSION_COOKIE, SessionTokens } from './session-tokens';

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
    request.agent = await authenticateSession(request, this.tokens, this.queryBus);
    return true;
  }
}

/**
 * The session check of every authenticated route (the guard's, and channel plugins' routes that
 * the plugin registry mounts outside Nest): the agent of the request's bearer token or session
 * cookie, or UnauthorizedException saying what to do.
 */
export async function authenticateSession(request: Pick<AuthenticatedRequest, 'headers'>, tokens: SessionTokens, queryBus: QueryBus): Promise<AuthenticatedAgent> {
  const token = bearerToken(request) ?? cookieToken(request);
  if (!token) throw new UnauthorizedException('authentication required: send "Authorization: Bearer <token>" from POST /api/auth/login');
  const claims = tokens.verify(token);
  if (!claims) throw new UnauthorizedException('the session token is invalid or expired; log in again');
  const session = await queryBus.execute(new GetSessionAgentQuery(claims.sub));
  if (!session) throw new UnauthorizedException('the agent of this session no longer exists');
  if (session.credentialFingerprint !== claims.cf) throw new UnauthorizedException('the password changed since this session began; log in again');
  const { agent } = session;
  return { id: agent.id, name: agent.name, email: agent.email, role: agent.role };
}

function bearerToken(request: Pick<AuthenticatedRequest, 'headers'>): string | null {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match ? match[1] : null;
}

function cookieToken(request: Pick<AuthenticatedRequest, 'headers'>): string | null {
  const header = request.headers.cookie;
  const value = Array.isArray(header) ? header.join('; ') : header;
  if (!value) return null;
  for (const part of value.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return null; // malformed percent-encoding: not a token we issued
    }
  }
  return null;
}

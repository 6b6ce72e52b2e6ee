import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import type { SessionClaims } from './session-tokens';

export const IS_PUBLIC = 'parley:isPublic';

/** Marks a route that needs no session (health, login, setup, signed webhooks). Everything else requires one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AuthenticatedRequest {
  agent?: AuthenticatedAgent;
  /** The claims of the token the request was authenticated with. */
  session?: SessionClaims;
  headers: Record<string, string | string[] | undefined>;
  id?: string;
}

/** The agent the AuthGuard authenticated for this request. */
export const CurrentAgent = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedAgent => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.agent) throw new Error('CurrentAgent used on a public route');
  return request.agent;
});

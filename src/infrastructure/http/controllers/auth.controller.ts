import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EndSessionCommand, SetupFirstAdminCommand } from '../../../application/agents/agent-commands.handler';
import { agentContext, systemContext } from '../../../application/command-handling/command-context';
import { AuthenticateQuery, CountAgentsQuery, GetSessionAgentQuery } from '../../../application/queries/directory-queries.handler';
import { LoginThrottle, TooManyAttemptsError } from '../auth/login-throttle';
import { attemptLogin } from '../auth/login-attempt';
import { Public } from '../auth/auth.decorators';
import { checkSession, requestToken } from '../auth/auth.guard';
import { SessionRevocations } from '../auth/session-revocations';
import { SESSION_COOKIE, SessionTokens, sessionExpiry } from '../auth/session-tokens';
import { LoginDto, SetupDto } from '../dto/auth.dto';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SessionResponse, SetupStatus } from '../dto/responses.dto';

export const COOKIE_SECURE = Symbol('COOKIE_SECURE');

@ApiTags('Auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly tokens: SessionTokens,
    @Inject(COOKIE_SECURE) private readonly secureCookies: boolean,
    private readonly throttle: LoginThrottle,
    private readonly revocations: SessionRevocations,
  ) {}

  /** Whether the first-run setup page should be offered. */
  @Public()
  @ApiOperation({ summary: 'Whether the first admin must still be created' })
  @ApiOkResponse({ type: SetupStatus })
  @Get('setup')
  async setupStatus() {
    return { needsSetup: (await this.queryBus.execute(new CountAgentsQuery())) === 0 };
  }

  /** First-run setup: creates the first admin; refused (409) once any agent exists or another setup won. */
  @Public()
  @ApiOperation({ summary: 'Create the first admin', description: 'Only while no agent exists (else 409). Answers a session, like login.' })
  @ApiCreatedResponse({ type: SessionResponse })
  @Post('setup')
  async setup(@Body() body: SetupDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const agent = await this.commandBus.execute(new SetupFirstAdminCommand(body, systemContext()));
    return this.startSession(agent.id, reply);
  }

  /** Attempts are counted per email and client, per client and per email; past a limit: 429 with Retry-After. */
  @Public()
  @ApiOperation({ summary: 'Log in', description: 'Wrong passwords are throttled: 429 with Retry-After.' })
  @ApiOkResponse({ type: SessionResponse })
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const email = body.email.trim().toLowerCase();
    let agent;
    try {
      agent = await attemptLogin({ throttle: this.throttle, tokens: this.tokens, secureCookies: this.secureCookies }, request, reply, email, () =>
        this.queryBus.execute(new AuthenticateQuery(email, body.password)),
      );
    } catch (error) {
      if (error instanceof TooManyAttemptsError) void reply.header('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    if (!agent) throw new UnauthorizedException('email or password is wrong');
    return this.startSession(agent.id, reply);
  }

  /** Ends the session of the token sent (bearer or cookie) on every instance, and clears the cookie. */
  @Public()
  @ApiOperation({ summary: 'Log out', description: 'Ends the session of the token sent (bearer or cookie) on every instance and clears the cookie.' })
  @ApiNoContentResponse({ description: 'Logged out (also without a session).' })
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await endSession(request, this.tokens, this.queryBus, this.commandBus, this.revocations);
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secureCookies ? '; Secure' : ''}`);
  }

  private async startSession(agentId: string, reply: FastifyReply) {
    const session = await this.queryBus.execute(new GetSessionAgentQuery(agentId));
    if (!session) throw new UnauthorizedException('the agent of this session no longer exists');
    const { agent } = session;
    const { token, expiresAt } = this.tokens.issue(agent.id, session.credentialFingerprint);
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookies ? '; Secure' : ''}`);
    return { token, expiresAt, agent: { id: agent.id, name: agent.name, email: agent.email, role: agent.role } };
  }
}

/**
 * The logout of the API and of the web page: a request with a session still in force ends it for
 * good (recorded in the event log, so every instance refuses the token from then on) and this
 * instance's open event streams of that session close at once. Without one, nothing to end.
 */
export async function endSession(
  request: Pick<FastifyRequest, 'headers'>,
  tokens: SessionTokens,
  queryBus: QueryBus,
  commandBus: CommandBus,
  revocations: SessionRevocations,
): Promise<void> {
  const token = requestToken(request);
  const claims = token ? tokens.verify(token) : null;
  if (!claims) return;
  const agent = await checkSession(claims, queryBus);
  if (typeof agent === 'string') return;
  await commandBus.execute(new EndSessionCommand(claims.sid, sessionExpiry(claims), agentContext(agent)));
  revocations.ended({ agentId: agent.id, sessionId: claims.sid });
}

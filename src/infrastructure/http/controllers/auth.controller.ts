import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SetupFirstAdminCommand } from '../../../application/agents/agent-commands.handler';
import { systemContext } from '../../../application/command-handling/command-context';
import { AuthenticateQuery, CountAgentsQuery, GetSessionAgentQuery } from '../../../application/queries/directory-queries.handler';
import { LoginThrottle, TooManyAttemptsError } from '../auth/login-throttle';
import { Public } from '../auth/auth.decorators';
import { SESSION_COOKIE, SessionTokens } from '../auth/session-tokens';
import { LoginDto, SetupDto } from '../dto/auth.dto';

export const COOKIE_SECURE = Symbol('COOKIE_SECURE');

@Controller('api')
export class AuthController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly tokens: SessionTokens,
    @Inject(COOKIE_SECURE) private readonly secureCookies: boolean,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Whether the first-run setup page should be offered. */
  @Public()
  @Get('setup')
  async setupStatus() {
    return { needsSetup: (await this.queryBus.execute(new CountAgentsQuery())) === 0 };
  }

  /** First-run setup: creates the first admin; refused (409) once any agent exists. */
  @Public()
  @Post('setup')
  async setup(@Body() body: SetupDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const agent = await this.commandBus.execute(new SetupFirstAdminCommand(body, systemContext()));
    return this.startSession(agent.id, reply);
  }

  /** Wrong passwords are counted per email and per client; past the limit: 429 with Retry-After. */
  @Public()
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const email = body.email.trim().toLowerCase();
    try {
      this.throttle.check(email, request.ip);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) void reply.header('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    const agent = await this.queryBus.execute(new AuthenticateQuery(email, body.password));
    if (!agent) {
      this.throttle.recordFailure(email, request.ip);
      throw new UnauthorizedException('email or password is wrong');
    }
    this.throttle.recordSuccess(email);
    return this.startSession(agent.id, reply);
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  logout(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secureCookies ? '; Secure' : ''}`);
  }

  private async startSession(agentId: string, reply: FastifyReply) {
    const session = await this.queryBus.execute(new GetSessionAgentQuery(agentId));
    if (!session) throw new UnauthorizedException('the agent of this session no longer exists');
    const { agent } = session;
    const { token, expiresAt } = this.tokens.issue(agent.id, session.credentialFingerprint);
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    void reply.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookies ? '; Secure' : ''}`,
    );
    return { token, expiresAt, agent: { id: agent.id, name: agent.name, email: agent.email, role: agent.role } };
  }
}

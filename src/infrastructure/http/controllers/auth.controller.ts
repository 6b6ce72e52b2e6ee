import { Body, Controller, Get, HttpCode, Inject, Post, Res, UnauthorizedException } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { SetupFirstAdminCommand } from '../../../application/agents/agent-commands.handler';
import { systemContext } from '../../../application/command-handling/command-context';
import { AuthenticateQuery, CountAgentsQuery } from '../../../application/queries/directory-queries.handler';
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
    return this.startSession(agent, reply);
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const agent = await this.queryBus.execute(new AuthenticateQuery(body.email, body.password));
    if (!agent) throw new UnauthorizedException('email or password is wrong');
    return this.startSession(agent, reply);
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  logout(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secureCookies ? '; Secure' : ''}`);
  }

  private startSession(agent: { id: string; name: string; email: string; role: string }, reply: FastifyReply) {
    const { token, expiresAt } = this.tokens.issue(agent.id);
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    void reply.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookies ? '; Secure' : ''}`,
    );
    return { token, expiresAt, agent: { id: agent.id, name: agent.name, email: agent.email, role: agent.role } };
  }
}

import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SetupAlreadyDoneError, SetupFirstAdminCommand } from '../../application/agents/agent-commands.handler';
import { systemContext } from '../../application/command-handling/command-context';
import { AuthenticateQuery, CountAgentsQuery, GetSessionAgentQuery } from '../../application/queries/directory-queries.handler';
import { isDomainError } from '../../domain/shared/domain-error';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { Public } from '../http/auth/auth.decorators';
import { LoginThrottle, TooManyAttemptsError } from '../http/auth/login-throttle';
import { attemptLogin } from '../http/auth/login-attempt';
import { SESSION_COOKIE, SessionTokens } from '../http/auth/session-tokens';
import { SessionRevocations } from '../http/auth/session-revocations';
import { COOKIE_SECURE, endSession } from '../http/controllers/auth.controller';
import { WebExceptionFilter } from './web-exception.filter';
import { field, redirect, safeNext, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';

/** Login, first-run setup and logout pages (form posts, no script needed). */
@Controller()
@UseFilters(WebExceptionFilter)
export class AuthPagesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly tokens: SessionTokens,
    private readonly throttle: LoginThrottle,
    @Inject(COOKIE_SECURE) private readonly secureCookies: boolean,
    private readonly renderer: WebRenderer,
    private readonly revocations: SessionRevocations,
  ) {}

  /** `/`: setup while nobody exists yet, else the inbox (which sends strangers to /login). */
  @Public()
  @Get()
  async root(@Res() reply: FastifyReply) {
    redirect(reply, (await this.needsSetup()) ? '/setup' : '/inbox');
  }

  @Public()
  @Get('login')
  async loginPage(@Query('next') next: string | undefined, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    if (await this.needsSetup()) return redirect(reply, '/setup');
    sendHtml(reply, this.renderer.page('login', { locale, title: locale.t('login.title'), next: safeNext(next), bare: true }));
  }

  @Public()
  @Post('login')
  async login(@Body() body: FormBody, @RequestLocale() locale: Locale, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    assertSameOrigin(request);
    const email = field(body, 'email').toLowerCase();
    const password = field(body, 'password', { trim: false });
    const next = safeNext(field(body, 'next'));
    const again = (message: string, status: number) =>
      sendHtml(reply, this.renderer.page('login', { locale, title: locale.t('login.title'), next, email, error: message, bare: true }), status);
    if (!email || !password) return again(locale.t('login.missing'), 400);
    let agent;
    try {
      agent = await attemptLogin({ throttle: this.throttle, tokens: this.tokens, secureCookies: this.secureCookies }, request, reply, email, () =>
        this.queryBus.execute(new AuthenticateQuery(email, password)),
      );
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        void reply.header('Retry-After', String(error.retryAfterSeconds));
        return again(error.reason === 'busy' ? locale.t('login.busy') : locale.t('login.tooMany', { count: Math.ceil(error.retryAfterSeconds / 60) }), 429);
      }
      throw error;
    }
    if (!agent) return again(locale.t('login.wrong'), 401);
    await this.startSession(agent.id, reply);
    redirect(reply, next);
  }

  @Public()
  @Get('setup')
  async setupPage(@RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    if (!(await this.needsSetup())) return redirect(reply, '/login');
    sendHtml(reply, this.renderer.page('setup', { locale, title: locale.t('setup.title'), bare: true }));
  }

  /** First-run setup: the first admin; refused once anybody exists (then: log in). */
  @Public()
  @Post('setup')
  async setup(@Body() body: FormBody, @RequestLocale() locale: Locale, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    assertSameOrigin(request);
    const values = { name: field(body, 'name'), email: field(body, 'email').toLowerCase() };
    const password = field(body, 'password', { trim: false });
    const again = (message: string, status: number) =>
      sendHtml(reply, this.renderer.page('setup', { locale, title: locale.t('setup.title'), ...values, error: message, bare: true }), status);
    if (!values.name || !values.email || !password) return again(locale.t('setup.missing'), 400);
    if (password !== field(body, 'confirm', { trim: false })) return again(locale.t('setup.differ'), 400);
    let agent;
    try {
      // The password rule and every other check are the application's, the same as for the API.
      agent = await this.commandBus.execute(new SetupFirstAdminCommand({ ...values, password }, systemContext()));
    } catch (error) {
      if (error instanceof SetupAlreadyDoneError) {
        return sendHtml(
          reply,
          this.renderer.page('login', {
            locale,
            title: locale.t('login.title'),
            next: '/inbox',
            email: values.email,
            error: locale.t('setup.alreadyDone'),
            bare: true,
          }),
          409,
        );
      }
      if (isDomainError(error)) return again(error.message, 400);
      throw error;
    }
    await this.startSession(agent.id, reply);
    redirect(reply, '/inbox');
  }

  /** Ends the session for good (every instance refuses its cookie from then on), then clears the cookie. */
  @Public()
  @Post('logout')
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    assertSameOrigin(request);
    await endSession(request, this.tokens, this.queryBus, this.commandBus, this.revocations);
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secureCookies ? '; Secure' : ''}`);
    // Clear-Site-Data also drops the drafts the page kept in sessionStorage.
    void reply.header('Clear-Site-Data', '"storage"');
    redirect(reply, '/login');
  }

  private async needsSetup(): Promise<boolean> {
    return (await this.queryBus.execute(new CountAgentsQuery())) === 0;
  }

  /** The same HttpOnly, SameSite=Strict cookie as POST /api/auth/login sets. */
  private async startSession(agentId: string, reply: FastifyReply): Promise<void> {
    const session = await this.queryBus.execute(new GetSessionAgentQuery(agentId));
    if (!session) throw new Error('the agent that just authenticated does not exist');
    const { token, expiresAt } = this.tokens.issue(session.agent.id, session.credentialFingerprint);
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    void reply.header('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookies ? '; Secure' : ''}`);
  }
}

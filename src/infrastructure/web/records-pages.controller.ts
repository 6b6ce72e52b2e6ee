import { BadRequestException, Body, Controller, ForbiddenException, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AgentSummary } from '../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import {
  ArchivePropertyCommand,
  ChangePropertyCommand,
  ChooseCardPropertiesCommand,
  CreateCompanyCommand,
  CreateContactCommand,
  DefinePropertyCommand,
  GetCompaniesQuery,
  GetCompanyQuery,
  GetContactQuery,
  GetContactTimelineQuery,
  GetRecordSettingsQuery,
  MergeContactsCommand,
  SearchCompaniesQuery,
  SearchContactsQuery,
  SetFreeMailDomainsCommand,
  SplitContactIdentityCommand,
  UpdateCompanyCommand,
  UpdateContactCommand,
  type CompanyView,
  type ContactTimelineEntry,
  type ContactView,
} from '../../application/contacts/contact.messages';
import type { CompanyRecord, ContactRecord, RecordSettingsRecord, TicketRecord } from '../../application/ports/record-store.port';
import type { InboxRecord, Page } from '../../application/ports/read-store.port';
import { ExportContactQuery, EraseContactCommand } from '../../application/privacy/privacy.messages';
import { ListAgentsQuery, ListInboxesQuery } from '../../application/queries/directory-queries.handler';
import { GetTicketQuery, SearchTicketsQuery, UpdateTicketCommand, type TicketView } from '../../application/tickets/ticket.messages';
import { BUILT_IN_CARD_KEYS } from '../../domain/record-settings/record-settings.decider';
import { PROPERTY_TYPES, RECORD_OBJECTS, type PropertyType, type RecordObject } from '../../domain/record-settings/record-properties';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../domain/ticket/ticket.events';
import { CurrentAgent } from '../http/auth/auth.decorators';
import { uuidParam } from '../http/controllers/params';
import { describeError } from '../http/describe-error';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import {
  companyHref,
  companyOptions,
  contactHref,
  contactName,
  contactPropertyLabels,
  contactRow,
  conversationHref,
  conversationRow,
  customChanges,
  customInputs,
  customProperties,
  identityRows,
  inboxNames,
  priorityOptions,
  statusOptions,
  statusPipeline,
  ticketHref,
  ticketRow,
  time,
  timelineRows,
} from './records-presenter';
import { WebExceptionFilter } from './web-exception.filter';
import { field, fields, redirect, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';

const PAGE_SIZE = 25;
/** The notices a redirect after a saved form may ask for (`?done=`): fixed texts, never the URL's words. */
const NOTICES = ['saved', 'created', 'merged', 'split', 'erased', 'defined', 'archived'] as const;

interface Notice {
  kind: 'info' | 'error';
  message: string;
}

/** A refusal shown on the page it came from: the form as typed, the message and the status of the refusal. */
interface Refusal {
  notice: Notice;
  status: number;
  draft?: FormBody;
  form?: string;
}

const one = (value: unknown): string => (typeof value === 'string' ? value.trim().slice(0, 500) : '');

/**
 * The record pages (docs/web-ui.md "Contacts, companies and tickets"): the contacts list and a
 * contact's page, the companies list and a company's page, the tickets list and a ticket's page, and the admins' settings
 * of custom properties. Server-rendered, usable without JavaScript: every form posts and is answered
 * with a redirect to the page (a notice named in `?done=`), or, when refused, with the page again
 * showing the refusal beside the form as it was typed. Every read and change goes through the same
 * queries and commands as the JSON API, so access rules and refusals are theirs.
 */
@Controller('ui')
@UseFilters(WebExceptionFilter)
export class RecordsPagesController {
  constructor(
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  // ---- Contacts list ------------------------------------------------------------------------

  @Get('contacts')
  async contacts(
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    await this.renderContacts(query, agent, locale, reply);
  }

  /** The list's "New contact" form: a contact made by hand, then its page. */
  @Post('contacts')
  async createContact(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    let created = '';
    await this.act(
      reply,
      () => contactHref(created),
      'created',
      locale,
      'contact-new',
      body,
      (refusal) => this.renderContacts({}, agent, locale, reply, refusal),
      async () => {
        const name = field(body, 'name');
        const emails = listOf(field(body, 'emails'));
        const phones = listOf(field(body, 'phones'));
        const contact: ContactView = await this.commandBus.execute(
          new CreateContactCommand(
            { ...(name ? { name } : {}), ...(emails.length ? { emails } : {}), ...(phones.length ? { phones } : {}) },
            agentContext(agent),
          ),
        );
        created = contact.id;
      },
    );
  }

  private async renderContacts(query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const q = one(query.q);
    const cursor = one(query.cursor);
    let page: Page<ContactRecord> = { items: [], nextCursor: null };
    let error: string | null = null;
    let status = 200;
    try {
      page = await this.queryBus.execute(new SearchContactsQuery(agent, { q, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }));
    } catch (caught) {
      ({ error, status } = this.refusalOf(caught, locale));
    }
    const companies = await this.companiesOf(agent, page.items);
    const params = (extra: Record<string, string>) => new URLSearchParams({ ...(q ? { q } : {}), ...extra }).toString();
    sendHtml(
      reply,
      this.renderer.page('contacts', {
        locale,
        title: locale.t('records.contacts.title'),
        page: 'settings-page',
        nav: recordNav('contacts', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        draft: newRecordDraft(refusal, 'contact-new', ['name', 'emails', 'phones']),
        q,
        error,
        rows: page.items.map((c) => contactRow(c, companies, locale)),
        empty: page.items.length === 0 && !error,
        nextHref: page.nextCursor ? `/ui/contacts?${params({ cursor: page.nextCursor })}` : null,
        firstHref: cursor ? `/ui/contacts?${params({})}` : null,
      }),
      refusal?.status ?? status,
    );
  }

  // ---- A contact ----------------------------------------------------------------------------

  @Get('contacts/:id')
  async contact(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    await this.renderContact(id, query, agent, locale, reply);
  }

  @Post('contacts/:id')
  async editContact(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    await this.act(
      reply,
      contactHref(id),
      'saved',
      locale,
      'contact-edit',
      body,
      (refusal) => this.renderContact(id, {}, agent, locale, reply, refusal),
      async () => {
        const [contact, settings] = await Promise.all([this.getContact(agent, id), this.settings(agent)]);
        const name = field(body, 'name');
        const jobTitle = field(body, 'jobTitle');
        const companyId = field(body, 'companyId');
        const emails = listOf(field(body, 'emails'));
        const phones = listOf(field(body, 'phones'));
        await this.commandBus.execute(
          new UpdateContactCommand(
            id,
            {
              ...(body.name !== undefined && name !== (contact.name ?? '') ? { name } : {}),
              ...(body.jobTitle !== undefined && jobTitle !== (contact.jobTitle ?? '') ? { jobTitle } : {}),
              ...(body.companyId !== undefined && (companyId || null) !== contact.companyId ? { companyId: companyId || null } : {}),
              // The lists replace the contact's addresses and numbers (its identities follow); sent only when changed.
              ...(body.emails !== undefined && emails.join(',') !== contact.emails.join(',') ? { emails } : {}),
              ...(body.phones !== undefined && phones.join(',') !== contact.phones.join(',') ? { phones } : {}),
              custom: customChanges(customProperties(settings, 'contact'), contact.custom, body, locale),
            },
            agentContext(agent, { expectedRevision: revisionOf(body, locale) }),
          ),
        );
      },
    );
  }

  @Post('contacts/:id/merge')
  async mergeContact(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const into = field(body, 'intoContactId');
    await this.act(
      reply,
      contactHref(into),
      'merged',
      locale,
      'contact-merge',
      body,
      (refusal) => this.renderContact(id, { mergeQ: field(body, 'mergeQ') }, agent, locale, reply, refusal),
      async () => {
        if (!UUID.test(into)) throw new BadRequestException(locale.t('records.errors.pickContact', { value: into }));
        await this.commandBus.execute(new MergeContactsCommand(id, into.toLowerCase(), agentContext(agent)));
      },
    );
  }

  @Post('contacts/:id/split')
  async splitContact(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    let target = contactHref(id);
    await this.act(
      reply,
      () => target,
      'split',
      locale,
      'contact-split',
      body,
      (refusal) => this.renderContact(id, {}, agent, locale, reply, refusal),
      async () => {
        const created: ContactView = await this.commandBus.execute(new SplitContactIdentityCommand(id, field(body, 'identity'), agentContext(agent)));
        target = contactHref(created.id);
      },
    );
  }

  /** Admins: everything Parley holds about the contact, as a JSON file to hand over. */
  @Get('contacts/:id/export')
  async exportContact(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @Res() reply: FastifyReply) {
    requireAdmin(agent, 'privacy');
    const document: Record<string, unknown> = await this.queryBus.execute(new ExportContactQuery(agent, id));
    void reply
      .status(200)
      .header('Cache-Control', 'no-store')
      .header('Content-Disposition', `attachment; filename="contact-${id}.json"`)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(document, null, 2));
  }

  /** Admins, after the confirmation step of the contact page (`?erase=confirm`): the box must be ticked. */
  @Post('contacts/:id/erase')
  async eraseContact(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'privacy');
    await this.act(
      reply,
      contactHref(id),
      'erased',
      locale,
      'contact-erase',
      body,
      (refusal) => this.renderContact(id, { erase: 'confirm' }, agent, locale, reply, refusal),
      async () => {
        if (field(body, 'confirm') !== 'yes') {
          throw new BadRequestException(
            locale.t('records.errors.confirmErase', { field: locale.t('records.erase.confirmLabel'), value: field(body, 'confirm') }),
          );
        }
        await this.commandBus.execute(new EraseContactCommand(id, agentContext(agent)));
      },
    );
  }

  private async renderContact(id: string, query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const contact = await this.getContact(agent, id);
    // A merged contact lives on in the one it was merged into: its old links lead there.
    if (contact.mergedInto || contact.id !== id) {
      void reply
        .status(302)
        .header('Location', contactHref(contact.mergedInto ?? contact.id))
        .header('Cache-Control', 'no-store')
        .send();
      return;
    }
    const [settings, inboxes, agents, companies, timeline] = await Promise.all([
      this.settings(agent),
      this.inboxes(agent),
      this.agentNames(),
      contact.erased ? Promise.resolve([] as CompanyRecord[]) : this.companyChoices(agent),
      this.queryBus.execute(new GetContactTimelineQuery(agent, id)) as Promise<ContactTimelineEntry[]>,
    ]);
    const mergeQ = one(query.mergeQ);
    let candidates: ContactRecord[] = [];
    if (mergeQ) {
      const found: Page<ContactRecord> = await this.queryBus.execute(new SearchContactsQuery(agent, { q: mergeQ, limit: 10 }));
      candidates = found.items.filter((c) => c.id !== id);
    }
    const names = inboxNames(inboxes);
    const draft = refusal?.form === 'contact-edit' ? refusal.draft : undefined;
    const isAdmin = agent.role === 'admin';
    sendHtml(
      reply,
      this.renderer.page('contact', {
        locale,
        title: contactName(contact, locale),
        page: 'settings-page',
        nav: recordNav('contacts', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        contact: {
          id: contact.id,
          name: contactName(contact, locale),
          nameValue: draft ? field(draft, 'name') : (contact.name ?? ''),
          jobTitleValue: draft ? field(draft, 'jobTitle') : (contact.jobTitle ?? ''),
          emailsValue: draft ? field(draft, 'emails') : contact.emails.join(', '),
          phonesValue: draft ? field(draft, 'phones') : contact.phones.join(', '),
          erased: contact.erased,
          revision: contact.revision,
          created: time(contact.createdAt, locale),
          lastActivity: time(contact.lastActivityAt, locale),
          href: contactHref(contact.id),
        },
        company: contact.company ? { name: contact.company.name, href: companyHref(contact.company.id), domain: contact.company.domain } : null,
        companies: companyOptions(companies, draft ? field(draft, 'companyId') || null : contact.companyId, locale),
        custom: customInputs(customProperties(settings, 'contact'), contact.custom, locale, draft),
        identities: identityRows(contact, locale),
        conversations: contact.conversations.map((c) => conversationRow(c, names, locale)),
        tickets: contact.tickets.map((t) => ticketRow(t, names, agents, locale)),
        timeline: timelineRows(timeline, locale, {
          conversations: new Map(contact.conversations.map((c) => [c.id, c])),
          propertyLabels: contactPropertyLabels(customProperties(settings, 'contact'), locale),
        }),
        merge: {
          q: mergeQ,
          searched: mergeQ !== '',
          candidates: candidates.map((c, index) => ({
            id: c.id,
            inputId: `merge-into-${index}`,
            name: contactName(c, locale),
            address: c.emails[0] ?? c.phones[0] ?? '',
          })),
        },
        admin: isAdmin && !contact.erased,
        confirmErase: isAdmin && !contact.erased && query.erase === 'confirm',
        exportHref: `${contactHref(contact.id)}/export`,
        eraseConfirmHref: `${contactHref(contact.id)}?erase=confirm#erase`,
        searchHref: `/inbox?search=1&contactId=${encodeURIComponent(contact.id)}`,
      }),
      refusal?.status ?? 200,
    );
  }

  // ---- Companies list -----------------------------------------------------------------------

  @Get('companies')
  async companies(
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    await this.renderCompanies(query, agent, locale, reply);
  }

  /** The list's "New company" form: a company made by hand (its domain its own), then its page. */
  @Post('companies')
  async createCompany(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    let created = '';
    await this.act(
      reply,
      () => companyHref(created),
      'created',
      locale,
      'company-new',
      body,
      (refusal) => this.renderCompanies({}, agent, locale, reply, refusal),
      async () => {
        const domain = field(body, 'domain');
        const company: CompanyView = await this.commandBus.execute(
          new CreateCompanyCommand({ name: field(body, 'name'), ...(domain ? { domain } : {}) }, agentContext(agent)),
        );
        created = company.id;
      },
    );
  }

  private async renderCompanies(query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const q = one(query.q);
    const cursor = one(query.cursor);
    let page: Page<CompanyRecord> = { items: [], nextCursor: null };
    let error: string | null = null;
    let status = 200;
    try {
      page = await this.queryBus.execute(new SearchCompaniesQuery(agent, { q, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }));
    } catch (caught) {
      ({ error, status } = this.refusalOf(caught, locale));
    }
    const params = (extra: Record<string, string>) => new URLSearchParams({ ...(q ? { q } : {}), ...extra }).toString();
    sendHtml(
      reply,
      this.renderer.page('companies', {
        locale,
        title: locale.t('records.companies.title'),
        page: 'settings-page',
        nav: recordNav('companies', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        draft: newRecordDraft(refusal, 'company-new', ['name', 'domain']),
        q,
        error,
        rows: page.items.map((c) => ({ id: c.id, href: companyHref(c.id), name: c.name, domain: c.domain, contactCount: locale.formatNumber(c.contactCount) })),
        empty: page.items.length === 0 && !error,
        nextHref: page.nextCursor ? `/ui/companies?${params({ cursor: page.nextCursor })}` : null,
        firstHref: cursor ? `/ui/companies?${params({})}` : null,
      }),
      refusal?.status ?? status,
    );
  }

  // ---- A company ----------------------------------------------------------------------------

  @Get('companies/:id')
  async company(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    await this.renderCompany(id, query, agent, locale, reply);
  }

  @Post('companies/:id')
  async editCompany(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    await this.act(
      reply,
      companyHref(id),
      'saved',
      locale,
      'company-edit',
      body,
      (refusal) => this.renderCompany(id, {}, agent, locale, reply, refusal),
      async () => {
        const [company, settings]: [CompanyView, RecordSettingsRecord] = await Promise.all([
          this.queryBus.execute(new GetCompanyQuery(agent, id)),
          this.settings(agent),
        ]);
        const name = field(body, 'name');
        const domain = field(body, 'domain');
        await this.commandBus.execute(
          new UpdateCompanyCommand(
            id,
            {
              ...(body.name !== undefined && name !== company.name ? { name } : {}),
              ...(body.domain !== undefined && (domain || null) !== company.domain ? { domain: domain || null } : {}),
              custom: customChanges(customProperties(settings, 'company'), company.custom, body, locale),
            },
            agentContext(agent, { expectedRevision: revisionOf(body, locale) }),
          ),
        );
      },
    );
  }

  private async renderCompany(id: string, query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const [company, settings, inboxes, agents]: [CompanyView, RecordSettingsRecord, InboxRecord[], Map<string, string>] = await Promise.all([
      this.queryBus.execute(new GetCompanyQuery(agent, id)),
      this.settings(agent),
      this.inboxes(agent),
      this.agentNames(),
    ]);
    const names = inboxNames(inboxes);
    const draft = refusal?.form === 'company-edit' ? refusal.draft : undefined;
    const byId = new Map([[company.id, company as CompanyRecord]]);
    sendHtml(
      reply,
      this.renderer.page('company', {
        locale,
        title: company.name,
        page: 'settings-page',
        nav: recordNav('companies', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        company: {
          id: company.id,
          name: company.name,
          nameValue: draft ? field(draft, 'name') : company.name,
          domainValue: draft ? field(draft, 'domain') : (company.domain ?? ''),
          domain: company.domain,
          revision: company.revision,
          contactCount: locale.formatNumber(company.contactCount),
        },
        custom: customInputs(customProperties(settings, 'company'), company.custom, locale, draft),
        contacts: company.contacts.map((c) => contactRow(c, byId, locale)),
        conversations: company.conversations.map((c) => conversationRow(c, names, locale)),
        tickets: company.tickets.map((t) => ticketRow(t, names, agents, locale)),
      }),
      refusal?.status ?? 200,
    );
  }

  // ---- Tickets list -------------------------------------------------------------------------

  @Get('tickets')
  async tickets(
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const filters = {
      status: one(query.status),
      owner: one(query.owner),
      priority: one(query.priority),
      inbox: one(query.inbox).toLowerCase(),
      q: one(query.q),
    };
    const cursor = one(query.cursor);
    const [inboxes, agents]: [InboxRecord[], AgentSummary[]] = await Promise.all([this.inboxes(agent), this.queryBus.execute(new ListAgentsQuery())]);
    // As the API's query string would carry them: SearchTicketsQuery reads strings.
    const params: Record<string, unknown> = { limit: String(PAGE_SIZE) };
    if (filters.status) params.status = filters.status;
    if (filters.priority) params.priority = filters.priority;
    if (filters.inbox) params.inboxId = filters.inbox;
    if (filters.q) params.q = filters.q;
    if (filters.owner) params.ownerId = filters.owner === 'me' ? agent.id : filters.owner;
    if (cursor) params.cursor = cursor;
    let page: Page<TicketRecord> = { items: [], nextCursor: null };
    let error: string | null = null;
    let status = 200;
    try {
      page = await this.queryBus.execute(new SearchTicketsQuery(agent, params));
    } catch (caught) {
      ({ error, status } = this.refusalOf(caught, locale));
    }
    inboxes.sort((a, b) => a.name.localeCompare(b.name));
    const names = inboxNames(inboxes);
    const agentNames = new Map(agents.map((a) => [a.id, a.name]));
    const reachable = new Set(inboxes.flatMap((i) => i.memberIds));
    const kept = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== ''));
    const href = (extra: Record<string, string>) => `/ui/tickets?${new URLSearchParams({ ...kept, ...extra }).toString()}`;
    sendHtml(
      reply,
      this.renderer.page('tickets', {
        locale,
        title: locale.t('records.tickets.title'),
        page: 'settings-page',
        nav: recordNav('tickets', agent, locale),
        q: filters.q,
        statuses: statusOptions(filters.status || null, locale, true),
        priorities: priorityOptions(filters.priority || null, locale, 'any'),
        owners: [
          { value: '', label: locale.t('records.tickets.anyOwner'), selected: filters.owner === '' },
          { value: 'me', label: locale.t('records.tickets.ownerMe'), selected: filters.owner === 'me' },
          { value: 'none', label: locale.t('records.ticket.noOwner'), selected: filters.owner === 'none' },
          ...agents
            .filter((a) => agent.role === 'admin' || reachable.has(a.id))
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((a) => ({ value: a.id, label: a.name, selected: a.id === filters.owner })),
        ],
        inboxes: [
          { value: '', label: locale.t('records.tickets.allInboxes'), selected: filters.inbox === '' },
          ...inboxes.map((i) => ({ value: i.id, label: i.name, selected: i.id === filters.inbox })),
        ],
        error,
        rows: page.items.map((t) => ticketRow(t, names, agentNames, locale)),
        empty: page.items.length === 0 && !error,
        nextHref: page.nextCursor ? href({ cursor: page.nextCursor }) : null,
        firstHref: cursor ? href({}) : null,
      }),
      status,
    );
  }

  // ---- A ticket -----------------------------------------------------------------------------

  @Get('tickets/:id')
  async ticket(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    await this.renderTicket(id, query, agent, locale, reply);
  }

  @Post('tickets/:id')
  async editTicket(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    await this.act(
      reply,
      ticketHref(id),
      'saved',
      locale,
      'ticket-edit',
      body,
      (refusal) => this.renderTicket(id, {}, agent, locale, reply, refusal),
      async () => {
        const [ticket, settings]: [TicketView, RecordSettingsRecord] = await Promise.all([
          this.queryBus.execute(new GetTicketQuery(agent, id)),
          this.settings(agent),
        ]);
        const name = field(body, 'name');
        const status = field(body, 'status');
        const priority = field(body, 'priority');
        const ownerId = field(body, 'ownerId');
        if (body.status !== undefined && !(TICKET_STATUSES as readonly string[]).includes(status)) {
          throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.ticket.statusLabel'), value: status }));
        }
        if (priority !== '' && !(TICKET_PRIORITIES as readonly string[]).includes(priority)) {
          throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.ticket.priorityLabel'), value: priority }));
        }
        await this.commandBus.execute(
          new UpdateTicketCommand(
            id,
            {
              ...(body.name !== undefined && name !== ticket.name ? { name } : {}),
              ...(body.status !== undefined && status !== ticket.status ? { status: status as TicketStatus } : {}),
              ...(body.priority !== undefined && (priority || null) !== ticket.priority ? { priority: (priority || null) as TicketPriority | null } : {}),
              ...(body.ownerId !== undefined && (ownerId || null) !== ticket.ownerId ? { ownerId: ownerId || null } : {}),
              custom: customChanges(customProperties(settings, 'ticket'), ticket.custom, body, locale),
            },
            agentContext(agent, { expectedRevision: revisionOf(body, locale) }),
          ),
        );
      },
    );
  }

  private async renderTicket(id: string, query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const [ticket, settings, inboxes, agents]: [TicketView, RecordSettingsRecord, InboxRecord[], AgentSummary[]] = await Promise.all([
      this.queryBus.execute(new GetTicketQuery(agent, id)),
      this.settings(agent),
      this.inboxes(agent),
      this.queryBus.execute(new ListAgentsQuery()),
    ]);
    const names = inboxNames(inboxes);
    const agentNames = new Map(agents.map((a) => [a.id, a.name]));
    const inbox = inboxes.find((i) => i.id === ticket.inboxId);
    const draft = refusal?.form === 'ticket-edit' ? refusal.draft : undefined;
    const status = draft ? field(draft, 'status') : ticket.status;
    const priority = draft ? field(draft, 'priority') : (ticket.priority ?? '');
    const ownerId = draft ? field(draft, 'ownerId') : (ticket.ownerId ?? '');
    // The owner is an agent who reaches the ticket's inbox (its members, and admins, who reach every inbox); one
    // who left the inbox stays listed until changed.
    const owners = agents
      .filter((a) => inbox?.memberIds.includes(a.id) || a.role === 'admin' || a.id === ticket.ownerId)
      .sort((a, b) => a.name.localeCompare(b.name));
    sendHtml(
      reply,
      this.renderer.page('ticket', {
        locale,
        title: ticket.name,
        page: 'settings-page',
        nav: recordNav('tickets', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        ticket: {
          ...ticketRow(ticket, names, agentNames, locale),
          nameValue: draft ? field(draft, 'name') : ticket.name,
          revision: ticket.revision,
          created: time(ticket.createdAt, locale),
          closed: ticket.closedAt ? time(ticket.closedAt, locale) : null,
        },
        pipeline: statusPipeline(ticket.status, locale),
        statuses: statusOptions(status, locale),
        priorities: priorityOptions(priority || null, locale, 'none'),
        owners: [
          { value: '', label: locale.t('records.ticket.noOwner'), selected: ownerId === '' },
          ...owners.map((a) => ({ value: a.id, label: a.name, selected: a.id === ownerId })),
        ],
        custom: customInputs(customProperties(settings, 'ticket'), ticket.custom, locale, draft),
        conversation: { ...conversationRow(ticket.conversation, names, locale), href: conversationHref(ticket.conversation) },
        contact: ticket.contact
          ? {
              name: contactName(ticket.contact, locale),
              href: contactHref(ticket.contact.id),
              address: ticket.contact.emails[0] ?? ticket.contact.phones[0] ?? '',
            }
          : null,
        otherTickets: ticket.otherTickets.filter((t) => t.id !== ticket.id).map((t) => ticketRow(t, names, agentNames, locale)),
      }),
      refusal?.status ?? 200,
    );
  }

  // ---- Admins: custom properties, card properties, free-mail domains -------------------------

  @Get('settings/properties')
  async properties(
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    requireAdmin(agent, 'settings');
    await this.renderProperties(query, agent, locale, reply);
  }

  @Post('settings/properties')
  async defineProperty(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'settings');
    await this.act(
      reply,
      PROPERTIES_HREF,
      'defined',
      locale,
      'property-define',
      body,
      (refusal) => this.renderProperties({}, agent, locale, reply, refusal),
      async () => {
        const object = field(body, 'object');
        const type = field(body, 'type');
        if (!(RECORD_OBJECTS as readonly string[]).includes(object)) {
          throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.properties.object'), value: object }));
        }
        if (!(PROPERTY_TYPES as readonly string[]).includes(type)) {
          throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.properties.type'), value: type }));
        }
        const options = listOf(field(body, 'options'));
        await this.commandBus.execute(
          new DefinePropertyCommand(
            {
              object: object as RecordObject,
              key: field(body, 'key'),
              label: field(body, 'label'),
              type: type as PropertyType,
              ...(type === 'choice' ? { options } : {}),
            },
            agentContext(agent),
          ),
        );
      },
    );
  }

  @Post('settings/properties/:object/:key')
  async changeProperty(
    @Param('object') object: string,
    @Param('key') key: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'settings');
    const target = recordObject(object, locale);
    await this.act(
      reply,
      PROPERTIES_HREF,
      'saved',
      locale,
      `property-${object}-${key}`,
      body,
      (refusal) => this.renderProperties({}, agent, locale, reply, refusal),
      async () => {
        const options = body.options !== undefined ? { options: listOf(field(body, 'options')) } : {};
        const label = body.label !== undefined ? { label: field(body, 'label') } : {};
        await this.commandBus.execute(new ChangePropertyCommand(target, key, { ...label, ...options }, agentContext(agent)));
      },
    );
  }

  @Post('settings/properties/:object/:key/archive')
  async archiveProperty(
    @Param('object') object: string,
    @Param('key') key: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'settings');
    const target = recordObject(object, locale);
    await this.act(
      reply,
      PROPERTIES_HREF,
      'archived',
      locale,
      'property-archive',
      {},
      (refusal) => this.renderProperties({}, agent, locale, reply, refusal),
      async () => {
        await this.commandBus.execute(new ArchivePropertyCommand(target, key, agentContext(agent)));
      },
    );
  }

  @Post('settings/card-properties/:object')
  async chooseCardProperties(
    @Param('object') object: string,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'settings');
    if (object !== 'contact' && object !== 'ticket') {
      throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.properties.object'), value: object }));
    }
    await this.act(
      reply,
      PROPERTIES_HREF,
      'saved',
      locale,
      `cards-${object}`,
      body,
      (refusal) => this.renderProperties({}, agent, locale, reply, refusal),
      async () => {
        await this.commandBus.execute(new ChooseCardPropertiesCommand(object, fields(body, 'keys'), agentContext(agent)));
      },
    );
  }

  @Post('settings/free-mail-domains')
  async setFreeMailDomains(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    requireAdmin(agent, 'settings');
    await this.act(
      reply,
      PROPERTIES_HREF,
      'saved',
      locale,
      'free-mail',
      body,
      (refusal) => this.renderProperties({}, agent, locale, reply, refusal),
      async () => {
        await this.commandBus.execute(new SetFreeMailDomainsCommand(listOf(field(body, 'domains', { trim: false })), agentContext(agent)));
      },
    );
  }

  private async renderProperties(query: Record<string, unknown>, agent: AuthenticatedAgent, locale: Locale, reply: FastifyReply, refusal?: Refusal) {
    const settings = await this.settings(agent);
    const draft = refusal?.form === 'property-define' ? refusal.draft : undefined;
    // The chosen keys first, in their order, then the others a card may show: built-in ones, then custom ones.
    const cards = (object: 'contact' | 'ticket') => {
      const all = [
        ...BUILT_IN_CARD_KEYS[object].map((key) => ({ key, label: locale.t(`records.properties.builtIn.${object}.${key}`) })),
        ...customProperties(settings, object).map((p) => ({ key: p.key, label: p.label })),
      ];
      const chosen = settings.cardProperties[object];
      const rank = (key: string) => (chosen.includes(key) ? chosen.indexOf(key) : chosen.length);
      return [...all].sort((x, y) => rank(x.key) - rank(y.key)).map((p) => ({ ...p, inputId: `card-${object}-${p.key}`, checked: chosen.includes(p.key) }));
    };
    sendHtml(
      reply,
      this.renderer.page('record-properties', {
        locale,
        title: locale.t('records.properties.title'),
        page: 'settings-page',
        nav: recordNav('properties', agent, locale),
        notice: refusal?.notice ?? noticeOf(query, locale),
        objects: RECORD_OBJECTS.map((object) => ({
          object,
          heading: locale.t(`records.properties.objects.${object}`),
          properties: customProperties(settings, object).map((p) => ({
            ...p,
            typeLabel: locale.t(`records.properties.types.${p.type}`),
            isChoice: p.type === 'choice',
            optionsText: (p.options ?? []).join(', '),
            action: `/ui/settings/properties/${object}/${encodeURIComponent(p.key)}`,
            inputId: `property-${object}-${p.key}`,
          })),
        })),
        define: {
          objects: RECORD_OBJECTS.map((o) => ({
            value: o,
            label: locale.t(`records.properties.objects.${o}`),
            selected: draft ? field(draft, 'object') === o : o === 'contact',
          })),
          types: PROPERTY_TYPES.map((t) => ({
            value: t,
            label: locale.t(`records.properties.types.${t}`),
            selected: draft ? field(draft, 'type') === t : t === 'text',
          })),
          key: draft ? field(draft, 'key') : '',
          label: draft ? field(draft, 'label') : '',
          options: draft ? field(draft, 'options') : '',
        },
        cards: [
          { object: 'contact', heading: locale.t('records.properties.objects.contact'), properties: cards('contact') },
          { object: 'ticket', heading: locale.t('records.properties.objects.ticket'), properties: cards('ticket') },
        ],
        freeMailDomains:
          refusal?.form === 'free-mail' && refusal.draft ? field(refusal.draft, 'domains', { trim: false }) : settings.freeMailDomains.join('\n'),
      }),
      refusal?.status ?? 200,
    );
  }

  // ---- Shared -------------------------------------------------------------------------------

  /**
   * Runs a form's change: on success a redirect to `target` with the notice `done`; a refusal
   * (4xx) shows the page again with the message (in the reader's language) beside the form.
   */
  private async act(
    reply: FastifyReply,
    target: string | (() => string),
    done: (typeof NOTICES)[number],
    locale: Locale,
    form: string,
    body: FormBody,
    renderRefused: (refusal: Refusal) => Promise<void>,
    change: () => Promise<void>,
  ): Promise<void> {
    try {
      await change();
    } catch (caught) {
      const { error, status } = this.refusalOf(caught, locale);
      await renderRefused({ notice: { kind: 'error', message: error }, status, draft: body, form });
      return;
    }
    const to = typeof target === 'function' ? target() : target;
    redirect(reply, `${to}${to.includes('?') ? '&' : '?'}done=${done}`);
  }

  /** A refusal's words and status; a server error is not a refusal and goes on to the error page. */
  private refusalOf(caught: unknown, locale: Locale): { error: string; status: number } {
    const described = describeError(caught, locale);
    if (described.statusCode >= 500) throw caught;
    return { error: Array.isArray(described.message) ? described.message.join('; ') : described.message, status: described.statusCode };
  }

  private getContact(agent: AuthenticatedAgent, id: string): Promise<ContactView> {
    return this.queryBus.execute(new GetContactQuery(agent, id));
  }

  private settings(agent: AuthenticatedAgent): Promise<RecordSettingsRecord> {
    return this.queryBus.execute(new GetRecordSettingsQuery(agent));
  }

  private inboxes(agent: AuthenticatedAgent): Promise<InboxRecord[]> {
    return this.queryBus.execute(new ListInboxesQuery(agent));
  }

  private async agentNames(): Promise<Map<string, string>> {
    const agents: AgentSummary[] = await this.queryBus.execute(new ListAgentsQuery());
    return new Map(agents.map((a) => [a.id, a.name]));
  }

  /** The companies a contact may be moved to (the first hundred by name; the company page edits the rest). */
  private async companyChoices(agent: AuthenticatedAgent): Promise<CompanyRecord[]> {
    const page: Page<CompanyRecord> = await this.queryBus.execute(new SearchCompaniesQuery(agent, { q: '', limit: 100 }));
    return page.items;
  }

  /** The companies of a page of contacts, for its company column. */
  private async companiesOf(agent: AuthenticatedAgent, contacts: readonly ContactRecord[]): Promise<Map<string, CompanyRecord>> {
    const ids = [...new Set(contacts.map((c) => c.companyId).filter((id): id is string => id !== null))];
    const found: CompanyRecord[] = ids.length === 0 ? [] : await this.queryBus.execute(new GetCompaniesQuery(agent, ids));
    return new Map(found.map((c) => [c.id, c]));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROPERTIES_HREF = '/ui/settings/properties';

/** The refusals are the API's own words, so the error page shows them in the reader's language. */
const ADMIN_ONLY = { settings: 'only admins can manage record settings', privacy: 'only admins can export or erase a contact' } as const;

function requireAdmin(agent: AuthenticatedAgent, what: keyof typeof ADMIN_ONLY): void {
  if (agent.role !== 'admin') throw new ForbiddenException(ADMIN_ONLY[what]);
}

function recordObject(value: string, locale: Locale): RecordObject {
  if (!(RECORD_OBJECTS as readonly string[]).includes(value)) {
    throw new BadRequestException(locale.t('records.errors.badChoice', { field: locale.t('records.properties.object'), value }));
  }
  return value as RecordObject;
}

/** The revision the form was rendered from: a change made meanwhile by someone else is refused rather than overwritten. */
function revisionOf(body: FormBody, locale: Locale): number | undefined {
  const typed = field(body, 'revision');
  if (typed === '') return undefined;
  if (!/^\d{1,9}$/.test(typed)) throw new BadRequestException(locale.t('records.errors.notANumber', { field: 'revision', value: typed }));
  return Number(typed);
}

/** One value a line or comma: options of a choice, free-mail domains. */
function listOf(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** A "New …" form's fields as typed when it was refused (empty otherwise). */
function newRecordDraft(refusal: Refusal | undefined, form: string, names: readonly string[]): Record<string, string> {
  const draft = refusal?.form === form ? refusal.draft : undefined;
  return Object.fromEntries(names.map((name) => [name, draft ? field(draft, name) : '']));
}

function noticeOf(query: Record<string, unknown>, locale: Locale): Notice | null {
  const done = one(query.done);
  return (NOTICES as readonly string[]).includes(done) ? { kind: 'info', message: locale.t(`records.notices.${done}`) } : null;
}

/** The records pages' own navigation: back to the inbox, Contacts, Companies, Tickets and, for admins, Properties. */
function recordNav(current: 'contacts' | 'companies' | 'tickets' | 'properties', agent: AuthenticatedAgent, locale: Locale) {
  return [
    { href: '/ui/contacts', label: locale.t('records.nav.contacts'), current: current === 'contacts', id: 'records-nav-contacts' },
    { href: '/ui/companies', label: locale.t('records.nav.companies'), current: current === 'companies', id: 'records-nav-companies' },
    { href: '/ui/tickets', label: locale.t('records.nav.tickets'), current: current === 'tickets', id: 'records-nav-tickets' },
    ...(agent.role === 'admin'
      ? [{ href: PROPERTIES_HREF, label: locale.t('records.nav.properties'), current: current === 'properties', id: 'records-nav-properties' }]
      : []),
  ];
}

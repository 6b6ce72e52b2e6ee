import { BadRequestException, Body, Controller, Inject, Injectable, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AgentSummary } from '../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import { SetInboxBusinessHoursCommand, SetInboxRoutingCommand } from '../../application/inboxes/inbox-routing.handler';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../../application/ports/channel-catalog.port';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import type { InboxRecord } from '../../application/ports/read-store.port';
import { ListAgentsQuery } from '../../application/queries/directory-queries.handler';
import { businessHoursStatus } from '../../domain/inbox/business-hours';
import {
  MAX_CAPACITY,
  ROUTING_MODES,
  WEEKDAYS,
  type BusinessHours,
  type OpeningInterval,
  type RoutingSettings,
  type Weekday,
} from '../../domain/inbox/inbox.events';
import { CurrentAgent } from '../http/auth/auth.decorators';
import { describeError } from '../http/describe-error';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { InboxPresenter } from './inbox-presenter';
import { channelLabel } from './inbox-screen';
import { WebExceptionFilter } from './web-exception.filter';
import { field, fields, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';

/** The Auto-assignment form as typed: numbers stay text until they are checked. */
interface RoutingDraft {
  mode: string;
  channels: string[];
  defaultCapacity: string;
  capacities: Record<string, string>;
}

/** The Business hours form as typed: each day's intervals as one line ("09:00-12:00, 13:00-17:30"). */
interface HoursDraft {
  enabled: boolean;
  timeZone: string;
  days: Record<Weekday, string>;
}

interface SectionMessages {
  saved?: boolean;
  error?: string;
}

const toRoutingDraft = (routing: RoutingSettings): RoutingDraft => ({
  mode: routing.mode,
  channels: routing.channels,
  defaultCapacity: String(routing.defaultCapacity),
  capacities: Object.fromEntries(Object.entries(routing.capacities).map(([id, n]) => [id, String(n)])),
});

const toHoursDraft = (hours: BusinessHours): HoursDraft => ({
  enabled: hours.enabled,
  timeZone: hours.timeZone,
  days: Object.fromEntries(WEEKDAYS.map((day) => [day, (hours.week[day] ?? []).map((i) => `${i.from}-${i.to}`).join(', ')])) as Record<Weekday, string>,
});

let zoneList: string[] | null = null;
const timeZones = (): string[] => (zoneList ??= ['UTC', ...Intl.supportedValuesOf('timeZone')]);

/**
 * The view models of the two admin sections of the Settings page, "Auto-assignment" and
 * "Business hours" (partials settings-routing and settings-business-hours): the page asks for them
 * when it renders, and the forms' handlers below render a section again after a save.
 */
@Injectable()
export class InboxRoutingSettingsView {
  constructor(
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Both sections for the Settings page (admins only: the caller checks). */
  sections(inbox: InboxRecord, agents: readonly AgentSummary[], locale: Locale) {
    return { routingSettings: this.routing(inbox, agents, locale), businessHoursSettings: this.businessHours(inbox, locale) };
  }

  routing(inbox: InboxRecord, agents: readonly AgentSummary[], locale: Locale, draft = toRoutingDraft(inbox.routing), messages: SectionMessages = {}) {
    const channels = new Set(draft.channels);
    return {
      locale,
      inboxId: inbox.id,
      modes: ROUTING_MODES.map((mode) => ({ value: mode, label: locale.t(`inboxRouting.modes.${mode}`), selected: mode === draft.mode })),
      channels: this.catalog.knownChannels().map((channel) => ({ value: channel, label: channelLabel(channel, locale), checked: channels.has(channel) })),
      defaultCapacity: draft.defaultCapacity,
      maxCapacity: MAX_CAPACITY,
      // Who works here: the inbox's members and the admins (they reach every inbox).
      agents: agents
        .filter((a) => a.role === 'admin' || inbox.memberIds.includes(a.id))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((a) => ({ id: a.id, name: a.name, capacity: draft.capacities[a.id] ?? '' })),
      ...messages,
    };
  }

  businessHours(inbox: InboxRecord, locale: Locale, draft = toHoursDraft(inbox.businessHours), messages: SectionMessages = {}) {
    return {
      locale,
      inboxId: inbox.id,
      enabled: draft.enabled,
      timeZones: timeZones().map((zone) => ({ value: zone, label: zone, selected: zone === draft.timeZone })),
      days: WEEKDAYS.map((day) => ({ day, label: locale.t(`businessHours.days.${day}`), value: draft.days[day] })),
      status: this.status(inbox.businessHours, locale),
      ...messages,
    };
  }

  /** "Open now" or when it opens next, as stored (not as a refused draft has it). */
  private status(hours: BusinessHours, locale: Locale): string {
    if (!hours.enabled) return locale.t('businessHours.alwaysOpen');
    const { open, nextOpenAt } = businessHoursStatus(hours, this.clock.now());
    if (open) return locale.t('businessHours.openNow');
    if (!nextOpenAt) return locale.t('businessHours.neverOpens');
    const when = new Intl.DateTimeFormat(locale.language, {
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: hours.timeZone,
    }).format(new Date(nextOpenAt));
    return locale.t('businessHours.closedNow', { when, zone: hours.timeZone });
  }
}

/**
 * The Settings page's Auto-assignment and Business hours forms (admins; htmx posts them and swaps
 * in the section this answers: saved, or the refusal with the form as typed). The same commands
 * as `PUT /api/inboxes/:id/routing` and `/business-hours`.
 */
@Controller('settings')
@UseFilters(WebExceptionFilter)
export class InboxRoutingSettingsController {
  constructor(
    private readonly presenter: InboxPresenter,
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly view: InboxRoutingSettingsView,
  ) {}

  @Post('routing')
  async saveRouting(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    const agents = (await this.queryBus.execute(new ListAgentsQuery())) as AgentSummary[];
    const draft: RoutingDraft = {
      mode: field(body, 'mode'),
      channels: fields(body, 'channels'),
      defaultCapacity: field(body, 'defaultCapacity'),
      capacities: Object.fromEntries(agents.map((a) => [a.id, field(body, `capacity.${a.id}`)]).filter(([, value]) => value !== '')),
    };
    try {
      const routing = routingFromDraft(draft, agents, locale);
      await this.commandBus.execute(new SetInboxRoutingCommand(inbox.id, routing, agentContext(agent)));
      const saved = await this.presenter.screen.actionInbox(agent, inbox.id);
      sendHtml(reply, this.renderer.fragment('settings-routing', this.view.routing(saved.inbox, agents, locale, undefined, { saved: true })));
    } catch (error) {
      const described = describeError(error, locale);
      if (described.statusCode >= 500) throw error;
      sendHtml(
        reply,
        this.renderer.fragment('settings-routing', this.view.routing(inbox, agents, locale, draft, { error: messageOf(described.message) })),
        described.statusCode,
      );
    }
  }

  @Post('business-hours')
  async saveBusinessHours(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    const draft: HoursDraft = {
      enabled: field(body, 'enabled') === 'true',
      timeZone: field(body, 'timeZone'),
      days: Object.fromEntries(WEEKDAYS.map((day) => [day, field(body, `hours.${day}`)])) as Record<Weekday, string>,
    };
    try {
      const hours: BusinessHours = { enabled: draft.enabled, timeZone: draft.timeZone, week: weekFromDraft(draft, locale) };
      await this.commandBus.execute(new SetInboxBusinessHoursCommand(inbox.id, hours, agentContext(agent)));
      const saved = await this.presenter.screen.actionInbox(agent, inbox.id);
      sendHtml(reply, this.renderer.fragment('settings-business-hours', this.view.businessHours(saved.inbox, locale, undefined, { saved: true })));
    } catch (error) {
      const described = describeError(error, locale);
      if (described.statusCode >= 500) throw error;
      sendHtml(
        reply,
        this.renderer.fragment('settings-business-hours', this.view.businessHours(inbox, locale, draft, { error: messageOf(described.message) })),
        described.statusCode,
      );
    }
  }
}

const messageOf = (message: string | string[]) => (Array.isArray(message) ? message.join('; ') : message);

/** A capacity as typed: a whole number from 0 to MAX_CAPACITY, or the refusal naming the field. */
function capacityOf(value: string, label: string, locale: Locale): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) > MAX_CAPACITY) {
    throw new BadRequestException(locale.t('inboxRouting.badCapacity', { field: label, value, max: MAX_CAPACITY }));
  }
  return Number(value);
}

function routingFromDraft(draft: RoutingDraft, agents: readonly AgentSummary[], locale: Locale): RoutingSettings {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  return {
    mode: draft.mode as RoutingSettings['mode'],
    channels: draft.channels,
    defaultCapacity: capacityOf(draft.defaultCapacity, locale.t('inboxRouting.defaultCapacity'), locale),
    capacities: Object.fromEntries(
      Object.entries(draft.capacities).map(([id, value]) => [
        id,
        capacityOf(value, locale.t('inboxRouting.capacityOf', { name: names.get(id) ?? id }), locale),
      ]),
    ),
  };
}

const CLOCK_TIME = /^([01]?\d|2[0-3]):[0-5]\d$|^24:00$/;
const padded = (time: string) => time.padStart(5, '0');

/** Each day's line ("09:00-12:00, 13:00-17:30"; empty: closed) as intervals; a part that is no opening time is refused by day and text. */
function weekFromDraft(draft: HoursDraft, locale: Locale): BusinessHours['week'] {
  const week = {} as BusinessHours['week'];
  for (const day of WEEKDAYS) {
    const parts = draft.days[day]
      .split(/[,;]/)
      .map((part) => part.trim())
      .filter((part) => part !== '');
    week[day] = parts.map((part): OpeningInterval => {
      const [from, to, ...rest] = part.split(/\s*[-–]\s*/);
      if (rest.length > 0 || !from || !to || !CLOCK_TIME.test(from) || !CLOCK_TIME.test(to) || padded(from) >= padded(to)) {
        throw new BadRequestException(locale.t('businessHours.badInterval', { day: locale.t(`businessHours.days.${day}`), value: part }));
      }
      return { from: padded(from), to: padded(to) };
    });
  }
  return week;
}

import { Controller, Get, Inject, Query, Res, UseFilters } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import type { InboxRecord } from '../../application/ports/read-store.port';
import { ListInboxesQuery } from '../../application/queries/directory-queries.handler';
import type { AgentReport, AgentReportRow, DurationStats } from '../../application/reports/agent-report';
import { GetAgentReportQuery } from '../../application/reports/agent-report.handler';
import { calendarPeriod, dayOf, isCalendarDate, lastDays } from '../../application/reports/report-calendar';
import { CurrentAgent } from '../http/auth/auth.decorators';
import { describeError } from '../http/describe-error';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { WebExceptionFilter } from './web-exception.filter';
import { sendHtml } from './web-http';
import { WebRenderer } from './web-renderer';

const PRESETS = ['7', '30', '90'] as const;
type PeriodChoice = (typeof PRESETS)[number] | 'custom';

/**
 * The Reports page (docs/reports.md): per agent, conversations assigned, first-response and
 * resolution times (p50, p90), over a period picked in the agent's own time zone (the last 7, 30
 * or 90 days, or from one day to another) and one inbox or all the agent can reach. The numbers
 * come from the same query as `GET /api/reports/agents`; durations are written in the agent's language.
 */
@Controller()
@UseFilters(WebExceptionFilter)
export class ReportsPageController {
  constructor(
    private readonly renderer: WebRenderer,
    private readonly queryBus: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('ui/reports')
  async reports(
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const zone = locale.timeZone;
    const now = this.clock.now();
    const inboxes: InboxRecord[] = await this.queryBus.execute(new ListInboxesQuery(agent));
    inboxes.sort((a, b) => a.name.localeCompare(b.name));
    // An inbox that is unknown or out of reach shows the report over every inbox the agent has, alike.
    const asked = typeof query.inbox === 'string' ? query.inbox.toLowerCase() : '';
    const inbox = inboxes.find((i) => i.id === asked) ?? null;

    const choice: PeriodChoice =
      PRESETS.includes(query.period as (typeof PRESETS)[number]) || query.period === 'custom' ? (query.period as PeriodChoice) : '30';
    let firstDay: string;
    let lastDay: string;
    let period: { from: Date; to: Date } | null = null;
    let error: string | null = null;
    if (choice === 'custom') {
      firstDay = typeof query.from === 'string' ? query.from : '';
      lastDay = typeof query.to === 'string' ? query.to : '';
      if (!isCalendarDate(firstDay)) error = locale.t('reports.invalidDate', { field: locale.t('reports.from'), value: firstDay });
      else if (!isCalendarDate(lastDay)) error = locale.t('reports.invalidDate', { field: locale.t('reports.to'), value: lastDay });
      else period = calendarPeriod(firstDay, lastDay, zone);
    } else {
      const last = lastDays(Number(choice), now, zone);
      ({ firstDay, lastDay } = last);
      period = last;
    }

    let report: AgentReport | null = null;
    if (period) {
      try {
        report = await this.queryBus.execute(new GetAgentReportQuery(agent, { from: period.from, to: period.to, ...(inbox ? { inboxId: inbox.id } : {}) }));
      } catch (caught) {
        const described = describeError(caught, locale);
        if (described.statusCode >= 500) throw caught;
        error = Array.isArray(described.message) ? described.message.join('; ') : described.message;
      }
    }

    const rows = (list: AgentReportRow[]) => list.map((row) => presentRow(row, locale));
    const perInbox =
      report?.byInbox && inboxes.length > 1
        ? inboxes
            .map((i) => ({ id: i.id, name: i.name, tableId: `reports-inbox-table-${i.id}`, rows: rows(report.byInbox!.filter((r) => r.inboxId === i.id)) }))
            .filter((section) => section.rows.length > 0)
        : [];
    sendHtml(
      reply,
      this.renderer.page('reports', {
        locale,
        title: locale.t('reports.title'),
        page: 'settings-page',
        backHref: inbox ? `/inbox?inbox=${inbox.id}` : '/inbox',
        periods: [...PRESETS, 'custom'].map((value) => ({ value, label: locale.t(`reports.period.${value}`), selected: value === choice })),
        custom: choice === 'custom',
        fromDay: firstDay ?? dayOf(now, zone),
        toDay: lastDay ?? dayOf(now, zone),
        inboxes: [
          { value: '', label: locale.t('reports.allInboxes'), selected: inbox === null },
          ...inboxes.map((i) => ({ value: i.id, label: i.name, selected: i.id === inbox?.id })),
        ],
        error,
        report: report
          ? {
              range: locale.t('reports.range', {
                from: locale.formatDate(report.from, 'long'),
                to: locale.formatDate(report.to, 'long'),
                zone,
              }),
              scope: inbox ? inbox.name : locale.t('reports.allInboxes'),
              agents: rows(report.agents),
              perInbox,
            }
          : null,
      }),
    );
  }
}

function presentRow(row: AgentReportRow, locale: Locale) {
  const stats = (s: DurationStats) => ({
    p50: formatDuration(s.p50, locale),
    p90: formatDuration(s.p90, locale),
    count: locale.formatNumber(s.count),
  });
  return {
    agentId: row.agentId,
    name: row.agentName,
    assigned: locale.formatNumber(row.conversationsAssigned),
    firstResponse: stats(row.firstResponse),
    resolution: stats(row.resolution),
  };
}

/**
 * A duration as a person reads it, in their language: "45 s", "12 min 5 s", "3 h 20 min" (Dutch
 * "3 u 20 min"), "2 d 4 h"; "—" for none. Rounded to whole seconds; two units at most.
 */
export function formatDuration(seconds: number | null, locale: Locale): string {
  if (seconds === null) return '—';
  const total = Math.round(seconds);
  const n = (value: number) => locale.formatNumber(value);
  if (total < 60) return locale.t('reports.duration.s', { s: n(total) });
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const s = total % 60;
    return s === 0 ? locale.t('reports.duration.m', { m: n(m) }) : locale.t('reports.duration.ms', { m: n(m), s: n(s) });
  }
  if (total < 86400) {
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    return m === 0 ? locale.t('reports.duration.h', { h: n(h) }) : locale.t('reports.duration.hm', { h: n(h), m: n(m) });
  }
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  return h === 0 ? locale.t('reports.duration.d', { d: n(d) }) : locale.t('reports.duration.dh', { d: n(d), h: n(h) });
}

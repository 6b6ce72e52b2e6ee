import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../domain/ticket/ticket.events';
import { InboxAccess } from '../access/inbox-access';
import type { Page } from '../ports/read-store.port';
import { RECORD_STORE, type RecordStore, type TicketRecord, type TicketSearch } from '../ports/record-store.port';
import { InvalidFiltersError } from '../search/conversation-filters';
import { TicketViews } from './ticket-view';
import { GetTicketQuery, SearchTicketsQuery, type TicketView } from './ticket.messages';

export const TICKETS_DEFAULT_LIMIT = 25;
export const TICKETS_MAX_LIMIT = 100;
const Q_MAX_LENGTH = 200;
const CURSOR_MAX_LENGTH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Other parameters are left alone: the web UI's pages pass theirs along. */
type Parameter = 'status' | 'ownerId' | 'priority' | 'contactId' | 'companyId' | 'q' | 'inboxId' | 'limit' | 'cursor';

@QueryHandler(GetTicketQuery)
export class GetTicketHandler implements IQueryHandler<GetTicketQuery> {
  constructor(private readonly views: TicketViews) {}

  execute({ agent, ticketId }: GetTicketQuery): Promise<TicketView> {
    return this.views.get(agent, ticketId);
  }
}

/** The ticket list: newest first, only inboxes the agent reaches (admins: all), each bad parameter named with its value. */
@QueryHandler(SearchTicketsQuery)
export class SearchTicketsHandler implements IQueryHandler<SearchTicketsQuery> {
  constructor(
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    private readonly access: InboxAccess,
  ) {}

  async execute({ agent, params }: SearchTicketsQuery): Promise<Page<TicketRecord>> {
    const { inboxId, ...search } = parseTicketSearch(params);
    let inboxIds = await this.access.reachableInboxIds(agent);
    if (inboxId !== undefined) {
      // An inbox out of reach answers as an unknown one.
      const inbox = await this.access.resolveInbox(agent, inboxId);
      inboxIds = [inbox.id];
    }
    return this.records.searchTickets({ ...search, inboxIds });
  }
}

/** `GET /api/tickets` parameters as received; every bad one is listed (400), each naming itself and its value. */
export function parseTicketSearch(params: Record<string, unknown>): Omit<TicketSearch, 'inboxIds'> & { inboxId?: string } {
  const errors: string[] = [];
  const result: Omit<TicketSearch, 'inboxIds'> & { inboxId?: string } = { limit: TICKETS_DEFAULT_LIMIT };
  const single = (key: Parameter): string | undefined => {
    const value = params[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'string') return value;
    errors.push(`${key}: ${Array.isArray(value) ? 'give it once' : 'must be a string'} (got ${describe(value)})`);
    return undefined;
  };
  const status = single('status');
  if (status !== undefined) {
    if ((TICKET_STATUSES as readonly string[]).includes(status)) result.status = status as TicketStatus;
    else errors.push(`status: must be one of ${TICKET_STATUSES.join(', ')} (got ${describe(status)})`);
  }
  const priority = single('priority');
  if (priority !== undefined) {
    if ((TICKET_PRIORITIES as readonly string[]).includes(priority)) result.priority = priority as TicketPriority;
    else errors.push(`priority: must be one of ${TICKET_PRIORITIES.join(', ')} (got ${describe(priority)})`);
  }
  const ownerId = single('ownerId');
  if (ownerId !== undefined) {
    if (ownerId === 'none') result.ownerId = 'none';
    else if (UUID.test(ownerId)) result.ownerId = ownerId.toLowerCase();
    else errors.push(`ownerId: must be an agent id (UUID) or "none" (got ${describe(ownerId)})`);
  }
  for (const key of ['contactId', 'companyId', 'inboxId'] as const) {
    const id = single(key);
    if (id === undefined) continue;
    if (UUID.test(id)) result[key] = id.toLowerCase();
    else errors.push(`${key}: must be a UUID (got ${describe(id)})`);
  }
  const q = single('q');
  if (q !== undefined) {
    if (q.length > Q_MAX_LENGTH) errors.push(`q: must be at most ${Q_MAX_LENGTH} characters (got ${q.length})`);
    else if (q.trim() !== '') result.q = q.trim();
  }
  const limit = single('limit');
  if (limit !== undefined) {
    if (/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= TICKETS_MAX_LIMIT) result.limit = Number(limit);
    else errors.push(`limit: must be a whole number from 1 to ${TICKETS_MAX_LIMIT} (got ${describe(limit)})`);
  }
  const cursor = single('cursor');
  if (cursor !== undefined) {
    if (cursor.length <= CURSOR_MAX_LENGTH) result.cursor = cursor;
    else errors.push(`cursor: must be the nextCursor of a previous page, unchanged (got ${describe(cursor)})`);
  }
  if (errors.length > 0) throw new InvalidFiltersError(errors);
  return result;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

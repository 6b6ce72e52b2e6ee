import type { SavedFilters } from '../../domain/custom-view/custom-view.events';
import { AccessDeniedError, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import type { CustomViewRecord, ReadStore } from '../ports/read-store.port';
import { parseConversationFilters, type FilterInput } from '../search/conversation-filters';

/** A custom view as `GET /api/views` lists it, after the built-in views. */
export interface CustomViewListing {
  id: string;
  inboxId: string;
  name: string;
  /** Live: the conversations its filters match now. */
  count: number;
  alwaysVisible: false;
  custom: true;
  filters: SavedFilters;
  createdBy: string;
  createdAt: string;
  /** Only when the saved filters no longer pass validation (then count is 0): what to fix. */
  problems?: string[];
}

export async function toListing(readStore: ReadStore, view: CustomViewRecord): Promise<CustomViewListing> {
  const parsed = parseConversationFilters(view.filters);
  const listing: CustomViewListing = {
    id: view.id,
    inboxId: view.inboxId,
    name: view.name,
    count: parsed.ok ? await readStore.countConversations({ inboxId: view.inboxId, filters: parsed.value.filters }) : 0,
    alwaysVisible: false,
    custom: true,
    filters: view.filters,
    createdBy: view.createdBy,
    createdAt: view.createdAt,
  };
  return parsed.ok ? listing : { ...listing, problems: parsed.errors };
}

export function toSavedFilters(saved: FilterInput): SavedFilters {
  return Object.fromEntries(Object.entries(saved).filter((entry): entry is [string, string | boolean] => entry[1] !== undefined));
}

/** Custom views are worked on by agents only (not by system, bot or contact actors). */
export function requireAgent(ctx: CommandContext): AuthenticatedAgent {
  if (!ctx.agent) throw new AccessDeniedError('custom views belong to agents: sign in as an agent');
  return ctx.agent;
}

/** The read model's view, or 404 (a deleted view is gone too). */
export async function existingView(readStore: ReadStore, viewId: string): Promise<CustomViewRecord> {
  const view = await readStore.getCustomView(viewId);
  if (!view) throw new NotFoundError(`custom view ${viewId} not found`);
  return view;
}

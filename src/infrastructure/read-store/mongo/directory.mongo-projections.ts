import type { Model } from 'mongoose';
import type { RecordedEvent } from '../../../application/ports/event-store.port';
import type { AgentEvent } from '../../../domain/agent/agent.events';
import type { ChannelConnectionEvent } from '../../../domain/channel-connection/channel-connection.events';
import type { CustomViewEvent } from '../../../domain/custom-view/custom-view.events';
import type { InboxEvent } from '../../../domain/inbox/inbox.events';
import type { SenderPolicyEvent } from '../../../domain/sender-policy/sender-policy.events';
import { normalizeAddress } from '../../../domain/shared/address';
import { withEndedSession } from '../../../projections/ended-sessions';
import { guardedSet, writeInOrder } from './guarded-writes';
import {
  blockedSenderId,
  type AgentDocument,
  type BlockedSenderDocument,
  type ChannelConnectionDocument,
  type CustomViewDocument,
  type InboxDocument,
  type MongoModelName,
} from './mongo-models';
import { idFromStream, type MongoProjection } from './mongo-projection';

/** A document's fields without its key and its guard. */
type Fields<D> = Omit<D, '_id' | 'lastPosition'>;

interface DocumentProjection<D extends { _id: string; lastPosition: number }> {
  name: string;
  version: number;
  handles: readonly string[];
  model: MongoModelName;
  /** The document an event is about (null: none). */
  key(event: RecordedEvent): string | null;
  /** The document after the event, or null when there is nothing to write (e.g. an update of a document never created). */
  evolve(current: Fields<D> | null, event: RecordedEvent): Fields<D> | null;
}

/**
 * A read model of small documents, each folded from its events by a pure `evolve`. A batch loads
 * the documents it touches, folds their events in log order (skipping any at or below a
 * document's lastPosition: applied before), and writes each one once, guarded by the position of
 * its last event. A document holds a state, not a delta, so writing it again is harmless; removals
 * are flags (tombstones), so an older event delivered later cannot bring a document back.
 */
function documentProjection<D extends { _id: string; lastPosition: number }>(spec: DocumentProjection<D>): MongoProjection {
  return {
    name: spec.name,
    version: spec.version,
    handles: spec.handles,
    owns: [spec.model],
    async applyBatch(events, models) {
      const model = models[spec.model] as unknown as Model<D>;
      const ids = [...new Set(events.map(spec.key).filter((id): id is string => id !== null))];
      if (ids.length === 0) return;
      const stored = await model.find({ _id: { $in: ids } }).lean<D[]>();
      const states = new Map<string, { lastPosition: number; fields: Fields<D> | null; touched: boolean }>(
        ids.map((id) => [id, { lastPosition: 0, fields: null, touched: false }]),
      );
      for (const document of stored) {
        const { _id, lastPosition, ...fields } = document;
        states.set(_id, { lastPosition, fields: fields as unknown as Fields<D>, touched: false });
      }
      for (const event of events) {
        const id = spec.key(event);
        const state = id === null ? undefined : states.get(id);
        if (!state || event.position <= state.lastPosition) continue;
        const next = spec.evolve(state.fields, event);
        if (next === null) continue;
        state.fields = next;
        state.lastPosition = event.position;
        state.touched = true;
      }
      const writes = [...states.entries()]
        .filter(([, state]) => state.touched && state.fields !== null)
        .map(([id, state]) => guardedSet(id, state.lastPosition, state.fields as Record<string, unknown>));
      await writeInOrder(model, writes);
    },
  };
}

type AgentData<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>['data'];

/** The agent directory, and the names of removed agents (kept as tombstones: their comments still say who wrote them). */
export const agentsMongoProjection = documentProjection<AgentDocument>({
  name: 'agents',
  // 3: the agent's language and time zone. 4: whether the agent is online (presence).
  version: 4,
  handles: [
    'AgentRegistered',
    'AgentUpdated',
    'AgentPasswordChanged',
    'AgentAvailabilityChanged',
    'AgentPresenceChanged',
    'AgentPreferencesChanged',
    'AgentSessionEnded',
    'AgentRemoved',
  ],
  model: 'agents',
  key: (event) => (event.type === 'AgentRegistered' ? String(event.data.agentId) : idFromStream(event.streamId, 'agent-')),
  evolve(current, event) {
    const active = current !== null && !current.removed;
    switch (event.type) {
      case 'AgentRegistered': {
        const data = event.data as AgentData<'AgentRegistered'>;
        const identity = { name: data.name, email: data.email, emailLower: data.email.trim().toLowerCase(), role: data.role, passwordHash: data.passwordHash };
        if (active) return { ...current, ...identity };
        return { ...identity, availability: 'available', createdAt: event.metadata.occurredAt, removed: false };
      }
      case 'AgentUpdated': {
        const data = event.data as AgentData<'AgentUpdated'>;
        if (current === null) return null;
        return { ...current, ...(data.name !== undefined ? { name: data.name } : {}), ...(data.role !== undefined && active ? { role: data.role } : {}) };
      }
      case 'AgentPasswordChanged':
        return active ? { ...current, passwordHash: (event.data as AgentData<'AgentPasswordChanged'>).passwordHash } : current;
      case 'AgentAvailabilityChanged':
        return active ? { ...current, availability: (event.data as AgentData<'AgentAvailabilityChanged'>).availability } : current;
      case 'AgentPresenceChanged': {
        const data = event.data as AgentData<'AgentPresenceChanged'>;
        return active ? { ...current, online: data.online, onlineChangedAt: data.at } : current;
      }
      case 'AgentPreferencesChanged': {
        const data = event.data as AgentData<'AgentPreferencesChanged'>;
        if (!active) return current;
        return {
          ...current,
          ...(data.language !== undefined ? { language: data.language } : {}),
          ...(data.timeZone !== undefined ? { timeZone: data.timeZone } : {}),
        };
      }
      case 'AgentSessionEnded':
        return active
          ? {
              ...current,
              endedSessions: withEndedSession(current.endedSessions ?? [], event.data as AgentData<'AgentSessionEnded'>, event.metadata.occurredAt),
            }
          : current;
      case 'AgentRemoved':
        return current === null ? null : { ...current, removed: true };
      default:
        return null;
    }
  },
});

type InboxData<T extends InboxEvent['type']> = Extract<InboxEvent, { type: T }>['data'];
const emailKey = (address: string | null) => (address === null ? null : address.trim().toLowerCase());

/** Team inboxes, their address (mail routing), members in the order they were set, auto-assignment settings and business hours. */
export const inboxesMongoProjection = documentProjection<InboxDocument>({
  name: 'inboxes',
  version: 2,
  handles: ['InboxCreated', 'InboxUpdated', 'InboxMembersSet', 'InboxRoutingSet', 'InboxBusinessHoursSet'],
  model: 'inboxes',
  key: (event) => (event.type === 'InboxCreated' ? String(event.data.inboxId) : idFromStream(event.streamId, 'inbox-')),
  evolve(current, event) {
    switch (event.type) {
      case 'InboxCreated': {
        const data = event.data as InboxData<'InboxCreated'>;
        const fields = { name: data.name, emailAddress: data.emailAddress, emailLower: emailKey(data.emailAddress), isDefault: data.isDefault };
        return current ? { ...current, ...fields } : { ...fields, memberIds: [], createdAt: event.metadata.occurredAt };
      }
      case 'InboxUpdated': {
        const data = event.data as InboxData<'InboxUpdated'>;
        if (current === null) return null;
        return {
          ...current,
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.emailAddress !== undefined ? { emailAddress: data.emailAddress, emailLower: emailKey(data.emailAddress) } : {}),
        };
      }
      case 'InboxMembersSet': {
        const data = event.data as InboxData<'InboxMembersSet'>;
        // Each agent once, where it first appears (as the embedded store's INSERT OR IGNORE).
        return current === null ? null : { ...current, memberIds: [...new Set(data.agentIds)] };
      }
      case 'InboxRoutingSet':
        return current === null ? null : { ...current, routing: event.data as unknown as InboxData<'InboxRoutingSet'> };
      case 'InboxBusinessHoursSet':
        return current === null ? null : { ...current, businessHours: event.data as unknown as InboxData<'InboxBusinessHoursSet'> };
      default:
        return null;
    }
  },
});

type SenderData<T extends SenderPolicyEvent['type']> = Extract<SenderPolicyEvent, { type: T }>['data'];

function senderKey(event: RecordedEvent): string | null {
  const data = event.data as SenderData<'SenderBlocked'> | SenderData<'SenderUnblocked'>;
  if (typeof data.inboxId !== 'string' || typeof data.address !== 'string') return null;
  return blockedSenderId(data.inboxId, normalizeAddress(data.address));
}

/** Which sender addresses each inbox blocks (rule 5); an unblocked sender stays as `blocked: false`. */
export const blockedSendersMongoProjection = documentProjection<BlockedSenderDocument>({
  name: 'blocked-senders',
  version: 1,
  handles: ['SenderBlocked', 'SenderUnblocked'],
  model: 'blockedSenders',
  key: senderKey,
  evolve(current, event) {
    const data = event.data as SenderData<'SenderBlocked'>;
    if (event.type === 'SenderBlocked') {
      // Blocking a blocked sender again keeps the first time (the embedded store's ON CONFLICT DO NOTHING).
      return current?.blocked
        ? current
        : { inboxId: data.inboxId, address: normalizeAddress(data.address), blockedAt: event.metadata.occurredAt, blocked: true };
    }
    if (event.type === 'SenderUnblocked') return current === null ? null : { ...current, blocked: false };
    return null;
  },
});

type ViewData<T extends CustomViewEvent['type']> = Extract<CustomViewEvent, { type: T }>['data'];

/** The custom views (saved filters) of each inbox, in the order they were created. */
export const customViewsMongoProjection = documentProjection<CustomViewDocument>({
  name: 'custom-views',
  version: 1,
  handles: ['CustomViewCreated', 'CustomViewUpdated', 'CustomViewDeleted'],
  model: 'customViews',
  key: (event) => (event.type === 'CustomViewCreated' ? String(event.data.viewId) : idFromStream(event.streamId, 'custom-view-')),
  evolve(current, event) {
    const live = current !== null && !current.deleted;
    switch (event.type) {
      case 'CustomViewCreated': {
        if (live) return current;
        const data = event.data as unknown as ViewData<'CustomViewCreated'>;
        return {
          inboxId: data.inboxId,
          name: data.name,
          filters: data.filters,
          createdBy: data.createdBy,
          createdAt: event.metadata.occurredAt,
          order: event.position,
          deleted: false,
        };
      }
      case 'CustomViewUpdated': {
        if (!live) return current;
        const data = event.data as unknown as ViewData<'CustomViewUpdated'>;
        return { ...current, ...(data.name !== undefined ? { name: data.name } : {}), ...(data.filters !== undefined ? { filters: data.filters } : {}) };
      }
      case 'CustomViewDeleted':
        return current === null ? null : { ...current, deleted: true };
      default:
        return null;
    }
  },
});

type ConnectionData<T extends ChannelConnectionEvent['type']> = Extract<ChannelConnectionEvent, { type: T }>['data'];

/** The channel connections of each inbox, in the order they were made; secrets stay encrypted. */
export const channelConnectionsMongoProjection = documentProjection<ChannelConnectionDocument>({
  name: 'channel-connections',
  version: 1,
  handles: ['ChannelConnected', 'ChannelConnectionChanged', 'ChannelDisconnected'],
  model: 'channelConnections',
  key: (event) => (event.type === 'ChannelConnected' ? String(event.data.connectionId) : idFromStream(event.streamId, 'channel-connection-')),
  evolve(current, event) {
    const live = current !== null && !current.removed;
    const at = event.metadata.occurredAt;
    switch (event.type) {
      case 'ChannelConnected': {
        if (live) return current;
        const data = event.data as unknown as ConnectionData<'ChannelConnected'>;
        const actor = event.metadata.actor as { type: string; id?: string };
        return {
          inboxId: data.inboxId,
          type: data.type,
          name: data.name,
          settings: { ...data.settings },
          secretKeys: [...data.secretKeys],
          createdBy: actor.type === 'agent' ? (actor.id ?? null) : null,
          createdAt: at,
          updatedAt: at,
          order: event.position,
          removed: false,
        };
      }
      case 'ChannelConnectionChanged': {
        if (!live) return current;
        const data = event.data as unknown as ConnectionData<'ChannelConnectionChanged'>;
        return {
          ...current,
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.settings !== undefined ? { settings: { ...data.settings } } : {}),
          ...(data.secretKeys !== undefined ? { secretKeys: [...data.secretKeys] } : {}),
          updatedAt: at,
        };
      }
      case 'ChannelDisconnected':
        return current === null ? null : { ...current, removed: true };
      default:
        return null;
    }
  },
});

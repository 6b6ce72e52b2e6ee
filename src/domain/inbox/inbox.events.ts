/** A team inbox: where conversations land, and which agents may work them (rule 15). */
export type InboxEvent = InboxCreated | InboxUpdated | InboxMembersSet | InboxRoutingSet | InboxBusinessHoursSet;

/** off: nobody is handed anything; round-robin: in turn; balanced: to whoever has the fewest open conversations. */
export const ROUTING_MODES = ['off', 'round-robin', 'balanced'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

export interface RoutingSettings {
  mode: RoutingMode;
  /** The channels auto-assignment hands out; empty: every channel of the inbox. */
  channels: string[];
  /** Most open conversations an agent holds in this inbox before auto-assignment skips them. */
  defaultCapacity: number;
  /** Per agent id, overriding defaultCapacity (0: never auto-assigned here). */
  capacities: Record<string, number>;
}

export const DEFAULT_ROUTING: RoutingSettings = { mode: 'off', channels: [], defaultCapacity: 5, capacities: {} };
export const MAX_CAPACITY = 1000;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** "09:00"–"17:30", local time of the inbox's zone; `to` after `from` (to "24:00" for midnight). */
export interface OpeningInterval {
  from: string;
  to: string;
}

export interface BusinessHours {
  /** Off: always open. */
  enabled: boolean;
  /** An IANA time zone name (Europe/Amsterdam). */
  timeZone: string;
  /** Per weekday, its opening intervals, sorted and not overlapping; none: closed all day. */
  week: Record<Weekday, OpeningInterval[]>;
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  enabled: false,
  timeZone: 'UTC',
  week: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
};

export interface InboxCreated {
  type: 'InboxCreated';
  data: { inboxId: string; name: string; emailAddress: string | null; isDefault: boolean };
}

export interface InboxUpdated {
  type: 'InboxUpdated';
  data: { name?: string; emailAddress?: string | null };
}

export interface InboxMembersSet {
  type: 'InboxMembersSet';
  data: { agentIds: string[] };
}

/** The inbox's auto-assignment, whole, as it is from now on. */
export interface InboxRoutingSet {
  type: 'InboxRoutingSet';
  data: RoutingSettings;
}

/** The inbox's opening hours, whole, as they are from now on. */
export interface InboxBusinessHoursSet {
  type: 'InboxBusinessHoursSet';
  data: BusinessHours;
}

export type InboxCommand = CreateInbox | UpdateInbox | SetInboxMembers | SetInboxRouting | SetInboxBusinessHours;

export interface SetInboxRouting {
  type: 'SetInboxRouting';
  data: RoutingSettings;
}

export interface SetInboxBusinessHours {
  type: 'SetInboxBusinessHours';
  data: BusinessHours;
}

export interface CreateInbox {
  type: 'CreateInbox';
  data: { inboxId: string; name: string; emailAddress: string | null; isDefault: boolean; memberIds: string[] };
}

export interface UpdateInbox {
  type: 'UpdateInbox';
  data: { name?: string; emailAddress?: string | null };
}

export interface SetInboxMembers {
  type: 'SetInboxMembers';
  data: { agentIds: string[] };
}

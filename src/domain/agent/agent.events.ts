export type AgentRole = 'admin' | 'agent';
export type Availability = 'available' | 'away';
/** The languages an agent can choose for the UI (each has a locale file). */
export const AGENT_LANGUAGES = ['en', 'nl'] as const;
export type AgentLanguage = (typeof AGENT_LANGUAGES)[number];

/**
 * Team members. The password hash (scrypt, see infrastructure/auth) lives in the event so the
 * agent directory can be rebuilt from the log like every other read model; it is redacted
 * wherever events are shown.
 */
export type AgentEvent =
  | AgentRegistered
  | AgentUpdated
  | AgentPasswordChanged
  | AgentAvailabilityChanged
  | AgentPresenceChanged
  | AgentPreferencesChanged
  | AgentNotificationSettingsChanged
  | AgentSessionEnded
  | AgentRemoved;

/** What an agent can be told about (the notification centre and email). */
export const NOTIFICATION_TYPES = ['mention', 'assigned', 'handoff', 'new-message'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
/** Per type: shown in the notification centre (`inApp`) and/or emailed (`email`). */
export type NotificationSettings = Record<NotificationType, { inApp: boolean; email: boolean }>;

/** Everything on, in the app and by email, until the agent switches something off. */
export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  mention: { inApp: true, email: true },
  assigned: { inApp: true, email: true },
  handoff: { inApp: true, email: true },
  'new-message': { inApp: true, email: false },
};

export interface AgentRegistered {
  type: 'AgentRegistered';
  data: { agentId: string; name: string; email: string; role: AgentRole; passwordHash: string };
}

export interface AgentUpdated {
  type: 'AgentUpdated';
  data: { name?: string; role?: AgentRole };
}

export interface AgentPasswordChanged {
  type: 'AgentPasswordChanged';
  data: { passwordHash: string };
}

export interface AgentAvailabilityChanged {
  type: 'AgentAvailabilityChanged';
  data: { availability: Availability };
}

/**
 * Whether the agent has the web UI open (a live session), recorded when it changes: online at the
 * first open session, offline once the last one has been gone for the grace period. In the log so
 * routing decides from the log alone (rule 11: offline agents are offered nothing new).
 */
export interface AgentPresenceChanged {
  type: 'AgentPresenceChanged';
  data: { online: boolean; at: string };
}

/** The agent's notification switches; the whole set, as it is from now on. */
export interface AgentNotificationSettingsChanged {
  type: 'AgentNotificationSettingsChanged';
  data: { settings: NotificationSettings };
}

/**
 * The agent's own choice of language and time zone (an IANA name). Only what changed is in the
 * event; null clears the choice, so the browser's language and zone apply again.
 */
export interface AgentPreferencesChanged {
  type: 'AgentPreferencesChanged';
  data: { language?: AgentLanguage | null; timeZone?: string | null };
}

export interface AgentRemoved {
  type: 'AgentRemoved';
  data: { agentId: string };
}

/**
 * A session (one login) was logged out: its token is refused from then on, by every instance.
 * `expiresAt` is when the token would have expired anyway; the directory forgets it after that.
 */
export interface AgentSessionEnded {
  type: 'AgentSessionEnded';
  data: { sessionId: string; expiresAt: string };
}

export type AgentCommand =
  RegisterAgent | UpdateAgent | ChangeAgentPassword | SetAvailability | SetPresence | SetPreferences | SetNotificationSettings | EndSession | RemoveAgent;

export interface RegisterAgent {
  type: 'RegisterAgent';
  data: { agentId: string; name: string; email: string; role: AgentRole; passwordHash: string };
}

export interface UpdateAgent {
  type: 'UpdateAgent';
  /** `isLastAdmin`: the caller read that no other admin remains (an admin cannot demote the last one). */
  data: { name?: string; role?: AgentRole; isLastAdmin: boolean };
}

export interface ChangeAgentPassword {
  type: 'ChangeAgentPassword';
  data: { passwordHash: string };
}

export interface SetAvailability {
  type: 'SetAvailability';
  data: { availability: Availability };
}

/** Online or offline (the presence tracker); a repeat of the current value records nothing. */
export interface SetPresence {
  type: 'SetPresence';
  data: { online: boolean; now: string };
}

/** Types and switches left out stay as they are. */
export interface SetNotificationSettings {
  type: 'SetNotificationSettings';
  data: { settings: Partial<Record<NotificationType, Partial<{ inApp: boolean; email: boolean }>>> };
}

/** A field left out stays as it is; null clears it. */
export interface SetPreferences {
  type: 'SetPreferences';
  data: { language?: string | null; timeZone?: string | null };
}

export interface EndSession {
  type: 'EndSession';
  data: { sessionId: string; expiresAt: string };
}

export interface RemoveAgent {
  type: 'RemoveAgent';
  data: { isLastAdmin: boolean };
}

/**
 * One stream per lower-cased email address, claimed with expected revision "no stream"
 * semantics by the decider, so two agents can never register the same address, even concurrently.
 */
export type AgentEmailEvent = AgentEmailClaimed | AgentEmailReleased;

export interface AgentEmailClaimed {
  type: 'AgentEmailClaimed';
  data: { email: string; agentId: string };
}

export interface AgentEmailReleased {
  type: 'AgentEmailReleased';
  data: { email: string; agentId: string };
}

export type AgentEmailCommand = ClaimAgentEmail | ReleaseAgentEmail;

export interface ClaimAgentEmail {
  type: 'ClaimAgentEmail';
  data: { email: string; agentId: string };
}

export interface ReleaseAgentEmail {
  type: 'ReleaseAgentEmail';
  data: { email: string; agentId: string };
}

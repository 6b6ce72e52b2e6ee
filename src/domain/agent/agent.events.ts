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
  AgentRegistered | AgentUpdated | AgentPasswordChanged | AgentAvailabilityChanged | AgentPreferencesChanged | AgentSessionEnded | AgentRemoved;

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

export type AgentCommand = RegisterAgent | UpdateAgent | ChangeAgentPassword | SetAvailability | SetPreferences | EndSession | RemoveAgent;

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

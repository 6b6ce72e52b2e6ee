import { isEmailAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { conflict, invalidInput, invalidTransition, notFound } from '../shared/domain-error';
import {
  AGENT_LANGUAGES,
  type AgentLanguage,
  type AgentPreferencesChanged,
  type AgentCommand,
  type AgentEmailCommand,
  type AgentEmailEvent,
  type AgentEvent,
  type AgentRole,
  type AgentUpdated,
  type Availability,
  DEFAULT_NOTIFICATION_SETTINGS,
  NOTIFICATION_TYPES,
  type NotificationSettings,
  type NotificationType,
} from './agent.events';

export const AGENT_NAME_MAX_LENGTH = 100;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
const ROLES: readonly AgentRole[] = ['admin', 'agent'];
const AVAILABILITIES: readonly Availability[] = ['available', 'away'];

// ---------------------------------------------------------------------------------------------
// Agent: one stream per agent id

export type AgentState =
  | { readonly status: 'none' }
  | {
      readonly status: 'registered';
      readonly agentId: string;
      readonly name: string;
      readonly email: string;
      readonly role: AgentRole;
      readonly availability: Availability;
      /** An open UI session (with the grace period), as last recorded by the presence tracker. */
      readonly online: boolean;
      readonly notificationSettings: NotificationSettings;
      /** null: not chosen (the browser's applies). */
      readonly language: AgentLanguage | null;
      readonly timeZone: string | null;
    }
  | { readonly status: 'removed'; readonly agentId: string };

type RegisteredAgent = Extract<AgentState, { status: 'registered' }>;

export const agentDecider: Decider<AgentCommand, AgentEvent, AgentState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    if (event.type === 'AgentRegistered') {
      const { agentId, name, email, role } = event.data;
      return {
        status: 'registered',
        agentId,
        name,
        email,
        role,
        availability: 'available',
        online: false,
        notificationSettings: DEFAULT_NOTIFICATION_SETTINGS,
        language: null,
        timeZone: null,
      };
    }
    if (state.status !== 'registered') return state;
    switch (event.type) {
      case 'AgentUpdated':
        return {
          ...state,
          ...(event.data.name === undefined ? {} : { name: event.data.name }),
          ...(event.data.role === undefined ? {} : { role: event.data.role }),
        };
      case 'AgentPasswordChanged':
        return state;
      case 'AgentAvailabilityChanged':
        return { ...state, availability: event.data.availability };
      case 'AgentPresenceChanged':
        return { ...state, online: event.data.online };
      case 'AgentNotificationSettingsChanged':
        return { ...state, notificationSettings: event.data.settings };
      case 'AgentPreferencesChanged':
        return {
          ...state,
          ...(event.data.language === undefined ? {} : { language: event.data.language }),
          ...(event.data.timeZone === undefined ? {} : { timeZone: event.data.timeZone }),
        };
      case 'AgentSessionEnded':
        return state;
      case 'AgentRemoved':
        return { status: 'removed', agentId: state.agentId };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    if (command.type === 'RegisterAgent') {
      if (state.status !== 'none') {
        throw conflict('agent-exists', 'agent {{agentId}} is already registered; register a new agent with a new id', { agentId: state.agentId });
      }
      const { agentId, passwordHash } = command.data;
      const name = validName(command.data.name);
      const email = validEmail(command.data.email);
      const role = validRole(command.data.role);
      if (!passwordHash) throw invalidInput('password-hash-missing', 'passwordHash must not be empty: set a password for the agent');
      return [{ type: 'AgentRegistered', data: { agentId, name, email, role, passwordHash } }];
    }

    const agent = registered(state);
    switch (command.type) {
      case 'UpdateAgent': {
        const changes: AgentUpdated['data'] = {};
        if (command.data.name !== undefined) {
          const name = validName(command.data.name);
          if (name !== agent.name) changes.name = name;
        }
        if (command.data.role !== undefined) {
          const role = validRole(command.data.role);
          if (role !== agent.role) changes.role = role;
        }
        if (changes.role === 'agent' && command.data.isLastAdmin) {
          throw invalidTransition('last-admin-demote', 'cannot demote the last admin; make another agent an admin first');
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'AgentUpdated', data: changes }];
      }
      case 'ChangeAgentPassword':
        if (!command.data.passwordHash) throw invalidInput('new-password-hash-missing', 'passwordHash must not be empty: set the new password');
        return [{ type: 'AgentPasswordChanged', data: { passwordHash: command.data.passwordHash } }];
      case 'SetAvailability': {
        const { availability } = command.data;
        if (!AVAILABILITIES.includes(availability)) {
          throw invalidInput('availability-unknown', 'availability must be one of {{allowed}}, got {{value}}', {
            allowed: AVAILABILITIES.join(', '),
            value: JSON.stringify(availability),
          });
        }
        if (availability === agent.availability) return [];
        return [{ type: 'AgentAvailabilityChanged', data: { availability } }];
      }
      case 'SetPresence': {
        const { online, now } = command.data;
        if (typeof online !== 'boolean')
          throw invalidInput('field-not-boolean', '{{field}} must be true or false, got {{value}}', { field: 'online', value: JSON.stringify(online ?? null) });
        if (Number.isNaN(Date.parse(now)))
          throw invalidInput('field-not-a-time', '{{field}} must be a date and time, got {{value}}', { field: 'now', value: JSON.stringify(now) });
        if (online === agent.online) return [];
        return [{ type: 'AgentPresenceChanged', data: { online, at: new Date(now).toISOString() } }];
      }
      case 'SetNotificationSettings': {
        const settings = mergedNotificationSettings(agent.notificationSettings, command.data.settings);
        if (NOTIFICATION_TYPES.every((type) => sameSwitches(settings[type], agent.notificationSettings[type]))) return [];
        return [{ type: 'AgentNotificationSettingsChanged', data: { settings } }];
      }
      case 'SetPreferences': {
        const changes: AgentPreferencesChanged['data'] = {};
        const { language, timeZone } = command.data;
        if (language !== undefined) {
          const valid = language === null ? null : validLanguage(language);
          if (valid !== agent.language) changes.language = valid;
        }
        if (timeZone !== undefined) {
          const valid = timeZone === null ? null : validTimeZone(timeZone);
          if (valid !== agent.timeZone) changes.timeZone = valid;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'AgentPreferencesChanged', data: changes }];
      }
      case 'EndSession': {
        const { sessionId, expiresAt } = command.data;
        if (!sessionId) throw invalidInput('field-empty', '{{field}} must not be empty', { field: 'sessionId' });
        if (Number.isNaN(Date.parse(expiresAt)))
          throw invalidInput('field-not-a-time', '{{field}} must be a date and time, got {{value}}', { field: 'expiresAt', value: JSON.stringify(expiresAt) });
        return [{ type: 'AgentSessionEnded', data: { sessionId, expiresAt } }];
      }
      case 'RemoveAgent':
        if (agent.role === 'admin' && command.data.isLastAdmin) {
          throw invalidTransition('last-admin-remove', 'cannot remove the last admin; make another agent an admin first');
        }
        return [{ type: 'AgentRemoved', data: { agentId: agent.agentId } }];
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'agent',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

function mergedNotificationSettings(current: NotificationSettings, changes: unknown): NotificationSettings {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw invalidInput('field-not-object', '{{field}} must be an object, got {{value}}', { field: 'settings', value: JSON.stringify(changes ?? null) });
  }
  const merged = { ...current };
  for (const [type, switches] of Object.entries(changes as Record<string, unknown>)) {
    if (!(NOTIFICATION_TYPES as readonly string[]).includes(type)) {
      throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
        field: 'settings',
        allowed: NOTIFICATION_TYPES.join(', '),
        value: JSON.stringify(type),
      });
    }
    const next = { ...merged[type as NotificationType] };
    for (const [channel, on] of Object.entries((switches ?? {}) as Record<string, unknown>)) {
      if (channel !== 'inApp' && channel !== 'email') {
        throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
          field: `settings.${type}`,
          allowed: 'inApp, email',
          value: JSON.stringify(channel),
        });
      }
      if (typeof on !== 'boolean') {
        throw invalidInput('field-not-boolean', '{{field}} must be true or false, got {{value}}', {
          field: `settings.${type}.${channel}`,
          value: JSON.stringify(on ?? null),
        });
      }
      next[channel] = on;
    }
    merged[type as NotificationType] = next;
  }
  return merged;
}

const sameSwitches = (a: { inApp: boolean; email: boolean }, b: { inApp: boolean; email: boolean }) => a.inApp === b.inApp && a.email === b.email;

function registered(state: AgentState): RegisteredAgent {
  if (state.status === 'registered') return state;
  if (state.status === 'removed') throw notFound('agent-removed', 'agent {{agentId}} was removed from the account', { agentId: state.agentId });
  throw notFound('agent-not-found', 'agent not found; check the agent id');
}

function validName(value: string): string {
  const name = (value ?? '').trim();
  if (name === '') throw invalidInput('agent-name-empty', "name must not be empty: give the agent's name");
  if (name.length > AGENT_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: AGENT_NAME_MAX_LENGTH,
      length: name.length,
    });
  }
  return name;
}

function validEmail(value: string): string {
  const email = normalizeEmail(value);
  if (!isEmailAddress(email))
    throw invalidInput('agent-email-invalid', 'email must look like name@example.com, got {{value}}', { value: JSON.stringify(value) });
  return email;
}

function validRole(value: AgentRole): AgentRole {
  if (!ROLES.includes(value))
    throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
      field: 'role',
      allowed: ROLES.join(', '),
      value: JSON.stringify(value),
    });
  return value;
}

function validLanguage(value: unknown): AgentLanguage {
  if (!(AGENT_LANGUAGES as readonly unknown[]).includes(value)) {
    throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
      field: 'language',
      allowed: AGENT_LANGUAGES.join(', '),
      value: JSON.stringify(value),
    });
  }
  return value as AgentLanguage;
}

let knownZones: Set<string> | null = null;
/** An IANA zone name the runtime knows (Intl's list, plus UTC, which the list names only by region). */
function validTimeZone(value: unknown): string {
  knownZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  if (typeof value !== 'string' || !knownZones.has(value)) {
    throw invalidInput('time-zone-unknown', 'timeZone must be an IANA time zone such as Europe/Amsterdam or UTC, got {{value}}', {
      value: JSON.stringify(value),
    });
  }
  return value;
}

/**
 * The one password rule for every way an agent gets a password (setup, the API, the web settings,
 * a password change), checked on the plain text before it is hashed.
 */
export function checkPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string')
    throw invalidInput('password-not-text', '{{field}} must be a string of at least {{min}} characters', { field, min: PASSWORD_MIN_LENGTH });
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw invalidInput('password-too-short', '{{field}} must be at least {{min}} characters (it has {{length}}); choose a longer one', {
      field,
      min: PASSWORD_MIN_LENGTH,
      length: password.length,
    });
  }
  if (password.length > PASSWORD_MAX_LENGTH)
    throw invalidInput('password-too-long', '{{field}} must be at most {{max}} characters (it has {{length}})', {
      field,
      max: PASSWORD_MAX_LENGTH,
      length: password.length,
    });
  return password;
}

/** Agent emails are unique case-insensitively: the email stream id is the lower-cased address. */
export const normalizeEmail = (email: string): string => (email ?? '').trim().toLowerCase();

// ---------------------------------------------------------------------------------------------
// Agent email: one stream per lower-cased email, so two agents never share an address

export type AgentEmailState =
  | { readonly status: 'unclaimed' }
  | { readonly status: 'claimed'; readonly email: string; readonly agentId: string }
  | { readonly status: 'released'; readonly email: string };

export const agentEmailDecider: Decider<AgentEmailCommand, AgentEmailEvent, AgentEmailState> = {
  initialState: () => ({ status: 'unclaimed' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'AgentEmailClaimed':
        return { status: 'claimed', email: event.data.email, agentId: event.data.agentId };
      case 'AgentEmailReleased':
        return { status: 'released', email: event.data.email };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    const email = normalizeEmail(command.data.email);
    const { agentId } = command.data;
    switch (command.type) {
      case 'ClaimAgentEmail':
        if (email === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field: 'email' });
        if (state.status === 'claimed') {
          if (state.agentId === agentId) return [];
          throw conflict('agent-email-taken', '{{email}} is already used by another agent; choose another email address', { email });
        }
        return [{ type: 'AgentEmailClaimed', data: { email, agentId } }];
      case 'ReleaseAgentEmail':
        if (state.status !== 'claimed' || state.agentId !== agentId) return [];
        return [{ type: 'AgentEmailReleased', data: { email: state.email, agentId } }];
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'agent email',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

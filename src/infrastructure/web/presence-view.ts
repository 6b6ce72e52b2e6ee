import type { Locale } from '../i18n/i18n';

/**
 * What the team list and the owner dropdown show of a teammate's presence (rule 11): online and
 * available (offered new conversations), online but away, or offline (Parley not open, past the
 * grace period). Away or offline, they keep what they own.
 */
export type PresenceState = 'available' | 'away' | 'offline';

/** A mark for places that hold text only (a select's options): filled, half, empty. */
const MARKS: Record<PresenceState, string> = { available: '●', away: '◐', offline: '○' };

export function presenceState(agent: { availability: 'available' | 'away'; online?: boolean }): PresenceState {
  if (!agent.online) return 'offline';
  return agent.availability === 'away' ? 'away' : 'available';
}

/** `presence` (the state, for a CSS class), `presenceLabel` (its words) and `presenceMark`. */
export function presenceView(agent: { availability: 'available' | 'away'; online?: boolean }, locale: Locale) {
  const presence = presenceState(agent);
  const label =
    presence === 'offline' ? locale.t(agent.availability === 'away' ? 'presence.offlineAway' : 'presence.offlineAvailable') : locale.t(`presence.${presence}`);
  return { presence, presenceLabel: label, presenceMark: MARKS[presence] };
}

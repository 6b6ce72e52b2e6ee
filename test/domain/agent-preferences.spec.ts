import { agentDecider as decider } from '../../src/domain/agent/agent.decider';
import { AGENT_LANGUAGES, type AgentEvent } from '../../src/domain/agent/agent.events';
import { LANGUAGES } from '../../src/infrastructure/i18n/i18n';
import { given } from '../support/given-when-then';

const registered: AgentEvent = {
  type: 'AgentRegistered',
  data: { agentId: 'agent-bo', name: 'Bo Berg', email: 'bo@parley.example', role: 'agent', passwordHash: 'hash' },
};
const set = (data: { language?: string | null; timeZone?: string | null }) => ({ type: 'SetPreferences' as const, data });

describe('agent preferences (language and time zone)', () => {
  it('records a language Parley speaks and a time zone the runtime knows', () => {
    given(decider, registered)
      .when(set({ language: 'nl', timeZone: 'Europe/Amsterdam' }))
      .then([{ type: 'AgentPreferencesChanged', data: { language: 'nl', timeZone: 'Europe/Amsterdam' } }]);
    given(decider, registered)
      .when(set({ timeZone: 'UTC' }))
      .then([{ type: 'AgentPreferencesChanged', data: { timeZone: 'UTC' } }]);
  });

  it('records only what changes, and a null clears the choice (back to the browser)', () => {
    const chosen: AgentEvent = { type: 'AgentPreferencesChanged', data: { language: 'nl', timeZone: 'Europe/Amsterdam' } };
    given(decider, registered, chosen)
      .when(set({ language: 'nl', timeZone: 'Europe/Amsterdam' }))
      .then([]);
    given(decider, registered, chosen)
      .when(set({ language: 'en', timeZone: 'Europe/Amsterdam' }))
      .then([{ type: 'AgentPreferencesChanged', data: { language: 'en' } }]);
    given(decider, registered, chosen)
      .when(set({ language: null }))
      .then([{ type: 'AgentPreferencesChanged', data: { language: null } }]);
  });

  it('refuses a language or zone it does not know, naming the field and the value', () => {
    given(decider, registered)
      .when(set({ language: 'fr' }))
      .thenThrows('invalid-input', /language must be one of en, nl.*"fr"/);
    given(decider, registered)
      .when(set({ timeZone: 'Mars/Olympus' }))
      .thenThrows('invalid-input', /timeZone must be an IANA time zone.*"Mars\/Olympus"/);
    given(decider, registered)
      .when(set({ timeZone: '+01:00' }))
      .thenThrows('invalid-input', /timeZone/);
  });

  it('offers exactly the languages that have a locale file', () => {
    expect([...AGENT_LANGUAGES]).toEqual([...LANGUAGES]);
  });
});

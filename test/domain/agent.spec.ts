import { agentDecider as decider, checkPassword } from '../../src/domain/agent/agent.decider';
import type { AgentCommand, AgentEvent, RegisterAgent } from '../../src/domain/agent/agent.events';
import { given, stateAfter } from '../support/given-when-then';

const register = (overrides: Partial<RegisterAgent['data']> = {}): AgentCommand => ({
  type: 'RegisterAgent',
  data: { agentId: 'agent-bo', name: 'Bo Berg', email: 'bo@parley.example', role: 'agent', passwordHash: 'scrypt$abc', ...overrides },
});
const registered = (role: 'admin' | 'agent' = 'agent'): AgentEvent => ({
  type: 'AgentRegistered',
  data: { agentId: 'agent-bo', name: 'Bo Berg', email: 'bo@parley.example', role, passwordHash: 'scrypt$abc' },
});
const removed: AgentEvent = { type: 'AgentRemoved', data: { agentId: 'agent-bo' } };
const update = (data: { name?: string; role?: 'admin' | 'agent'; isLastAdmin?: boolean }): AgentCommand => ({
  type: 'UpdateAgent',
  data: { isLastAdmin: false, ...data },
});
const remove = (isLastAdmin = false): AgentCommand => ({ type: 'RemoveAgent', data: { isLastAdmin } });
const setAvailability = (availability: 'available' | 'away'): AgentCommand => ({ type: 'SetAvailability', data: { availability } });
const changePassword: AgentCommand = { type: 'ChangeAgentPassword', data: { passwordHash: 'scrypt$new' } };

describe('agent: RegisterAgent', () => {
  it('registers an agent with a trimmed name and lower-cased email, available by default', () => {
    given(decider)
      .when(register({ name: '  Bo Berg ', email: ' Bo@Parley.Example ' }))
      .then([registered()]);
    expect(stateAfter(decider, registered())).toMatchObject({ status: 'registered', availability: 'available', role: 'agent' });
  });

  it('refuses an id that is already registered', () => {
    given(decider, registered())
      .when(register())
      .thenThrows('conflict', /agent-bo is already registered/);
  });

  it.each([
    ['an empty name', { name: '  ' }, /^name must not be empty/],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, /^name must be at most 100 characters/],
    ['an email without a domain', { email: 'bo@' }, /^email must look like/],
    ['an email without an @', { email: 'bo.parley.example' }, /^email must look like/],
    ['an email with spaces', { email: 'bo berg@parley.example' }, /^email must look like/],
    ['an unknown role', { role: 'owner' as 'admin' }, /^role must be one of admin, agent/],
    ['no password hash', { passwordHash: '' }, /^passwordHash must not be empty/],
  ])('refuses %s, naming the field', (_what, overrides, message) => {
    given(decider).when(register(overrides)).thenThrows('invalid-input', message);
  });

  it('accepts a dotless domain such as admin@localhost (self-hosted intranets)', () => {
    given(decider)
      .when(register({ email: 'admin@localhost' }))
      .then([{ type: 'AgentRegistered', data: { agentId: 'agent-bo', name: 'Bo Berg', email: 'admin@localhost', role: 'agent', passwordHash: 'scrypt$abc' } }]);
  });

  it('accepts a name of exactly 100 characters', () => {
    given(decider)
      .when(register({ name: 'x'.repeat(100) }))
      .then([{ ...registered(), data: { ...registered().data, name: 'x'.repeat(100) } } as AgentEvent]);
  });
});

describe('agent: UpdateAgent', () => {
  it('records only the fields that change', () => {
    given(decider, registered())
      .when(update({ name: 'Bo B. Berg', role: 'agent' }))
      .then([{ type: 'AgentUpdated', data: { name: 'Bo B. Berg' } }]);
    given(decider, registered())
      .when(update({ name: 'Bo Berg', role: 'admin' }))
      .then([{ type: 'AgentUpdated', data: { role: 'admin' } }]);
  });

  it('nothing changing is already done', () => {
    given(decider, registered())
      .when(update({ name: ' Bo Berg ', role: 'agent' }))
      .then([]);
    given(decider, registered()).when(update({})).then([]);
  });

  it('demotes an admin while other admins remain', () => {
    given(decider, registered('admin'))
      .when(update({ role: 'agent', isLastAdmin: false }))
      .then([{ type: 'AgentUpdated', data: { role: 'agent' } }]);
  });

  it('refuses to demote the last admin', () => {
    given(decider, registered('admin'))
      .when(update({ role: 'agent', isLastAdmin: true }))
      .thenThrows('invalid-transition', /cannot demote the last admin/);
  });

  it('renaming the last admin is fine', () => {
    given(decider, registered('admin'))
      .when(update({ name: 'Bo', isLastAdmin: true }))
      .then([{ type: 'AgentUpdated', data: { name: 'Bo' } }]);
  });

  it('refuses a bad name or role', () => {
    given(decider, registered())
      .when(update({ name: '' }))
      .thenThrows('invalid-input', /^name must not be empty/);
    given(decider, registered())
      .when(update({ role: 'root' as 'admin' }))
      .thenThrows('invalid-input', /^role must be one of/);
  });

  it('evolves the changed fields', () => {
    expect(stateAfter(decider, registered(), { type: 'AgentUpdated', data: { role: 'admin' } })).toMatchObject({ name: 'Bo Berg', role: 'admin' });
  });
});

describe('agent: missing or removed', () => {
  it.each<[string, AgentCommand]>([
    ['UpdateAgent', update({ name: 'X' })],
    ['ChangeAgentPassword', changePassword],
    ['SetAvailability', setAvailability('away')],
    ['RemoveAgent', remove()],
  ])('%s on an unknown agent is not-found', (_type, command) => {
    given(decider)
      .when(command)
      .thenThrows('not-found', /agent not found/);
  });

  it.each<[string, AgentCommand]>([
    ['UpdateAgent', update({ name: 'X' })],
    ['ChangeAgentPassword', changePassword],
    ['SetAvailability', setAvailability('away')],
    ['RemoveAgent', remove()],
  ])('%s on a removed agent is not-found', (_type, command) => {
    given(decider, registered(), removed)
      .when(command)
      .thenThrows('not-found', /agent-bo was removed/);
  });

  it('a removed agent id cannot be registered again', () => {
    given(decider, registered(), removed)
      .when(register())
      .thenThrows('conflict', /already registered/);
  });
});

describe('agent: password and availability (rule 11)', () => {
  it('changes the password', () => {
    given(decider, registered())
      .when(changePassword)
      .then([{ type: 'AgentPasswordChanged', data: { passwordHash: 'scrypt$new' } }]);
  });

  it('refuses an empty password hash', () => {
    given(decider, registered())
      .when({ type: 'ChangeAgentPassword', data: { passwordHash: '' } })
      .thenThrows('invalid-input', /passwordHash/);
  });

  it('goes away and comes back', () => {
    given(decider, registered())
      .when(setAvailability('away'))
      .then([{ type: 'AgentAvailabilityChanged', data: { availability: 'away' } }]);
    given(decider, registered(), { type: 'AgentAvailabilityChanged', data: { availability: 'away' } })
      .when(setAvailability('available'))
      .then([{ type: 'AgentAvailabilityChanged', data: { availability: 'available' } }]);
  });

  it('the same availability is already done', () => {
    given(decider, registered()).when(setAvailability('available')).then([]);
  });

  it('refuses an unknown availability', () => {
    given(decider, registered())
      .when(setAvailability('busy' as 'away'))
      .thenThrows('invalid-input', /^availability must be one of available, away/);
  });
});

describe('agent: RemoveAgent', () => {
  it('removes an agent', () => {
    given(decider, registered()).when(remove()).then([removed]);
    expect(stateAfter(decider, registered(), removed)).toEqual({ status: 'removed', agentId: 'agent-bo' });
  });

  it('an agent (not admin) is removed even when no other admin is counted', () => {
    given(decider, registered('agent')).when(remove(true)).then([removed]);
  });

  it('removes an admin while other admins remain', () => {
    given(decider, registered('admin')).when(remove(false)).then([removed]);
  });

  it('refuses to remove the last admin', () => {
    given(decider, registered('admin'))
      .when(remove(true))
      .thenThrows('invalid-transition', /cannot remove the last admin/);
  });
});

describe('agent: logging out a session', () => {
  const endSession: AgentCommand = { type: 'EndSession', data: { sessionId: 'session-1', expiresAt: '2026-12-07T14:00:00.000Z' } };

  it('records the ended session with the time its token would have expired', () => {
    given(decider, registered())
      .when(endSession)
      .then([{ type: 'AgentSessionEnded', data: { sessionId: 'session-1', expiresAt: '2026-12-07T14:00:00.000Z' } }]);
  });

  it('refuses a missing session id or expiry', () => {
    given(decider, registered())
      .when({ type: 'EndSession', data: { sessionId: '', expiresAt: '2026-12-07T14:00:00.000Z' } })
      .thenThrows('invalid-input', /sessionId/);
    given(decider, registered())
      .when({ type: 'EndSession', data: { sessionId: 'session-1', expiresAt: 'soon' } })
      .thenThrows('invalid-input', /expiresAt/);
  });

  it('a removed or unknown agent has no session to end', () => {
    given(decider)
      .when(endSession)
      .thenThrows('not-found', /agent not found/);
    given(decider, registered(), removed)
      .when(endSession)
      .thenThrows('not-found', /was removed/);
  });
});

describe('agent: the password rule (setup, API, web settings, password changes)', () => {
  it('accepts 8 characters or more', () => {
    expect(checkPassword('12345678')).toBe('12345678');
    expect(checkPassword('x'.repeat(1024))).toHaveLength(1024);
  });

  it.each([
    ['', /password must be at least 8 characters \(it has 0\)/],
    ['x', /password must be at least 8 characters \(it has 1\)/],
    ['1234567', /password must be at least 8 characters \(it has 7\)/],
    ['x'.repeat(1025), /password must be at most 1024 characters/],
  ])('refuses %j', (password, message) => {
    expect(() => checkPassword(password)).toThrow(message);
  });

  it('refuses what is not text, naming the field', () => {
    expect(() => checkPassword(undefined, 'newPassword')).toThrow(/newPassword must be a string/);
  });
});

import { inboxDecider as decider } from '../../src/domain/inbox/inbox.decider';
import type { CreateInbox, InboxCommand, InboxEvent } from '../../src/domain/inbox/inbox.events';
import { given, stateAfter } from '../support/given-when-then';

const create = (overrides: Partial<CreateInbox['data']> = {}): InboxCommand => ({
  type: 'CreateInbox',
  data: { inboxId: 'inbox-1', name: 'Support', emailAddress: 'support@parley.example', isDefault: true, memberIds: [], ...overrides },
});
const created: InboxEvent = {
  type: 'InboxCreated',
  data: { inboxId: 'inbox-1', name: 'Support', emailAddress: 'support@parley.example', isDefault: true },
};
const members = (...agentIds: string[]): InboxEvent => ({ type: 'InboxMembersSet', data: { agentIds } });
const setMembers = (...agentIds: string[]): InboxCommand => ({ type: 'SetInboxMembers', data: { agentIds } });
const update = (data: { name?: string; emailAddress?: string | null }): InboxCommand => ({ type: 'UpdateInbox', data });

describe('inbox: CreateInbox', () => {
  it('creates an inbox with a trimmed name and lower-cased address', () => {
    given(decider)
      .when(create({ name: ' Support ', emailAddress: ' Support@Parley.Example ' }))
      .then([created]);
  });

  it('creates an inbox without an email address', () => {
    given(decider)
      .when(create({ emailAddress: null, isDefault: false }))
      .then([{ type: 'InboxCreated', data: { inboxId: 'inbox-1', name: 'Support', emailAddress: null, isDefault: false } }]);
  });

  it('sets the members, without repeats, when some are given', () => {
    given(decider)
      .when(create({ memberIds: ['agent-cy', 'agent-bo', 'agent-cy'] }))
      .then([created, members('agent-bo', 'agent-cy')]);
  });

  it('refuses an id that already exists', () => {
    given(decider, created)
      .when(create())
      .thenThrows('conflict', /inbox-1 already exists/);
  });

  it.each([
    ['an empty name', { name: '  ' }, /^name must not be empty/],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, /^name must be at most 100 characters/],
    ['an address that is not an email', { emailAddress: 'support' }, /^emailAddress must look like/],
    ['an empty member id', { memberIds: ['agent-bo', ''] }, /^memberIds must contain agent ids only/],
  ])('refuses %s, naming the field', (_what, overrides, message) => {
    given(decider).when(create(overrides)).thenThrows('invalid-input', message);
  });
});

describe('inbox: UpdateInbox', () => {
  it('records only the changed fields', () => {
    given(decider, created)
      .when(update({ name: 'Sales', emailAddress: 'support@parley.example' }))
      .then([{ type: 'InboxUpdated', data: { name: 'Sales' } }]);
    given(decider, created)
      .when(update({ emailAddress: null }))
      .then([{ type: 'InboxUpdated', data: { emailAddress: null } }]);
    given(decider, created)
      .when(update({ emailAddress: 'Sales@Parley.Example' }))
      .then([{ type: 'InboxUpdated', data: { emailAddress: 'sales@parley.example' } }]);
  });

  it('nothing changing is already done', () => {
    given(decider, created)
      .when(update({ name: ' Support', emailAddress: 'SUPPORT@parley.example' }))
      .then([]);
    given(decider, created).when(update({})).then([]);
  });

  it('refuses bad values', () => {
    given(decider, created)
      .when(update({ name: '' }))
      .thenThrows('invalid-input', /^name must not be empty/);
    given(decider, created)
      .when(update({ emailAddress: 'not an email' }))
      .thenThrows('invalid-input', /^emailAddress must look like/);
  });

  it('refuses an inbox that does not exist', () => {
    given(decider)
      .when(update({ name: 'Sales' }))
      .thenThrows('not-found', /inbox not found/);
  });

  it('evolves the changed fields', () => {
    expect(stateAfter(decider, created, { type: 'InboxUpdated', data: { emailAddress: null } })).toMatchObject({ name: 'Support', emailAddress: null });
  });
});

describe('inbox: SetInboxMembers (rule 15)', () => {
  it('sets the members, de-duplicated and sorted', () => {
    given(decider, created)
      .when(setMembers('agent-cy', 'agent-bo', 'agent-bo'))
      .then([members('agent-bo', 'agent-cy')]);
  });

  it('the same set in another order is already done', () => {
    given(decider, created, members('agent-bo', 'agent-cy')).when(setMembers('agent-cy', 'agent-bo')).then([]);
  });

  it('can empty the member list', () => {
    given(decider, created, members('agent-bo')).when(setMembers()).then([members()]);
    given(decider, created).when(setMembers()).then([]);
  });

  it('refuses an inbox that does not exist', () => {
    given(decider)
      .when(setMembers('agent-bo'))
      .thenThrows('not-found', /inbox not found/);
  });

  it('evolves to the sorted set', () => {
    expect(stateAfter(decider, created, members('agent-cy', 'agent-bo'))).toMatchObject({ memberIds: ['agent-bo', 'agent-cy'] });
  });
});

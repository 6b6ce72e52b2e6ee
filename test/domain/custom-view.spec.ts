import { customViewDecider as decider } from '../../src/domain/custom-view/custom-view.decider';
import type { CreateCustomView, CustomViewCommand, CustomViewEvent } from '../../src/domain/custom-view/custom-view.events';
import { given, stateAfter } from '../support/given-when-then';

const create = (overrides: Partial<CreateCustomView['data']> = {}): CustomViewCommand => ({
  type: 'CreateCustomView',
  data: { viewId: 'view-1', inboxId: 'inbox-1', name: 'Open email', filters: { status: 'open', channel: 'email' }, createdBy: 'agent-1', ...overrides },
});
const created: CustomViewEvent = {
  type: 'CustomViewCreated',
  data: { viewId: 'view-1', inboxId: 'inbox-1', name: 'Open email', filters: { channel: 'email', status: 'open' }, createdBy: 'agent-1' },
};
const update = (data: { name?: string; filters?: Record<string, string | boolean> }): CustomViewCommand => ({ type: 'UpdateCustomView', data });
const remove: CustomViewCommand = { type: 'DeleteCustomView', data: {} };
const deleted: CustomViewEvent = { type: 'CustomViewDeleted', data: {} };

describe('custom view: CreateCustomView', () => {
  it('creates a view with a trimmed name and its filters in a stable key order', () => {
    given(decider)
      .when(create({ name: '  Open email ' }))
      .then([created]);
  });

  it('refuses an id that already exists, even a deleted one', () => {
    given(decider, created)
      .when(create())
      .thenThrows('conflict', /view-1 already exists/);
    given(decider, created, deleted).when(create()).thenThrows('conflict');
  });

  it.each([
    ['an empty name', { name: '   ' }, /^name must not be empty/],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, /^name must be at most 100 characters \(it has 101\)/],
    ['filters that are not an object', { filters: 'status=open' as never }, /^filters must be an object/],
    ['a filter value that is not a string or boolean', { filters: { status: 3 } as never }, /^filters.status must be a string or a boolean/],
  ])('refuses %s', (_label, overrides, message) => {
    given(decider).when(create(overrides)).thenThrows('invalid-input', message);
  });

  it('accepts a name of exactly 100 characters and no filters at all', () => {
    given(decider)
      .when(create({ name: 'x'.repeat(100), filters: {} }))
      .then([{ type: 'CustomViewCreated', data: { viewId: 'view-1', inboxId: 'inbox-1', name: 'x'.repeat(100), filters: {}, createdBy: 'agent-1' } }]);
  });
});

describe('custom view: UpdateCustomView', () => {
  it('records only what changed', () => {
    given(decider, created)
      .when(update({ name: 'Email, open' }))
      .then([{ type: 'CustomViewUpdated', data: { name: 'Email, open' } }]);
    given(decider, created)
      .when(update({ name: 'Open email', filters: { status: 'closed' } }))
      .then([{ type: 'CustomViewUpdated', data: { filters: { status: 'closed' } } }]);
  });

  it('replaces the filters as a whole', () => {
    const state = stateAfter(decider, created, { type: 'CustomViewUpdated', data: { filters: { q: 'refund' } } });
    expect(state).toMatchObject({ status: 'active', filters: { q: 'refund' } });
  });

  it('is a harmless repeat when nothing changes (the filters compared whatever their key order)', () => {
    given(decider, created)
      .when(update({ name: ' Open email ', filters: { status: 'open', channel: 'email' } }))
      .then([]);
    given(decider, created).when(update({})).then([]);
  });

  it('refuses a bad name, and a view that does not exist or was deleted', () => {
    given(decider, created)
      .when(update({ name: '' }))
      .thenThrows('invalid-input', /^name must not be empty/);
    given(decider)
      .when(update({ name: 'x' }))
      .thenThrows('not-found');
    given(decider, created, deleted)
      .when(update({ name: 'x' }))
      .thenThrows('not-found');
  });
});

describe('custom view: DeleteCustomView', () => {
  it('deletes; deleting again changes nothing', () => {
    given(decider, created).when(remove).then([deleted]);
    given(decider, created, deleted).when(remove).then([]);
  });

  it('refuses a view that never existed', () => {
    given(decider).when(remove).thenThrows('not-found');
  });

  it('keeps who created it and where, after deletion', () => {
    expect(stateAfter(decider, created, deleted)).toEqual({ status: 'deleted', viewId: 'view-1', inboxId: 'inbox-1', createdBy: 'agent-1' });
  });
});

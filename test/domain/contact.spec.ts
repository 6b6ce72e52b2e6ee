import { contactDecider as decider, type ContactCommand } from '../../src/domain/contact/contact.decider';
import type { ContactEvent } from '../../src/domain/contact/contact.events';
import type { PropertyDefinition } from '../../src/domain/record-settings/record-properties';
import { given, stateAfter } from '../support/given-when-then';

const ann = { kind: 'email' as const, value: 'ann@acme.test' };
const phone = { kind: 'phone' as const, value: '+31612345678' };
const created: ContactEvent = {
  type: 'ContactCreated',
  data: { contactId: 'c1', identities: [ann], name: 'Ann', source: 'inbound', createdAt: '2026-12-01T10:00:00.000Z' },
};
const nameless: ContactEvent = {
  type: 'ContactCreated',
  data: { contactId: 'c2', identities: [phone], source: 'inbound', createdAt: '2026-12-01T10:00:00.000Z' },
};
const definitions: PropertyDefinition[] = [
  { object: 'contact', key: 'plan', label: 'Plan', type: 'choice', options: ['Free', 'Pro'] },
  { object: 'contact', key: 'seats', label: 'Seats', type: 'number' },
  { object: 'contact', key: 'renewal', label: 'Renewal', type: 'date' },
  { object: 'contact', key: 'notes', label: 'Notes', type: 'text' },
  { object: 'company', key: 'industry', label: 'Industry', type: 'text' },
];
const change = (changes: Record<string, unknown>): ContactCommand => ({ type: 'ChangeContactProperties', data: { changes, definitions } });

describe('contact: CreateContact', () => {
  it('records the identities and name; an agent-made contact needs a name, an email or a phone', () => {
    given(decider)
      .when({
        type: 'CreateContact',
        data: { contactId: 'c1', identities: [ann, ann], name: ' Ann ', source: 'inbound', createdAt: '2026-12-01T10:00:00.000Z' },
      })
      .then([created]);
    given(decider)
      .when({ type: 'CreateContact', data: { contactId: 'c3', identities: [], name: '  ', source: 'agent', createdAt: '2026-12-01T10:00:00.000Z' } })
      .thenThrows('invalid-input', /^a contact needs a name, an email address or a phone number$/);
  });

  it('is a no-op for an inbound contact that exists already (at least once), a conflict for an agent', () => {
    given(decider, created)
      .when({ type: 'CreateContact', data: { contactId: 'c1', identities: [ann], source: 'inbound', createdAt: 'x' } })
      .then([]);
    given(decider, created)
      .when({ type: 'CreateContact', data: { contactId: 'c1', identities: [ann], name: 'Ann', source: 'agent', createdAt: 'x' } })
      .thenThrows('conflict', /c1 already exists/);
  });

  it("joins the email domain's company in the same append, as AssociateCompany records it; nothing for a contact that exists", () => {
    const create = {
      type: 'CreateContact' as const,
      data: { contactId: 'c1', identities: [ann], name: 'Ann', source: 'inbound' as const, createdAt: '2026-12-01T10:00:00.000Z', joinCompanyId: 'co-1' },
    };
    given(decider)
      .when(create)
      .then([created, { type: 'ContactPropertiesChanged', data: { companyId: 'co-1', via: 'email-domain' } }]);
    given(decider, created).when(create).then([]);
    // The same events as creating, then associating: the records and the history cannot tell them apart.
    given(decider, created)
      .when({ type: 'AssociateCompany', data: { companyId: 'co-1' } })
      .then([{ type: 'ContactPropertiesChanged', data: { companyId: 'co-1', via: 'email-domain' } }]);
  });
});

describe('contact: ChangeContactProperties', () => {
  it('records only what changed', () => {
    given(decider, created)
      .when(change({ name: 'Ann', jobTitle: 'CTO' }))
      .then([{ type: 'ContactPropertiesChanged', data: { jobTitle: 'CTO' } }]);
    given(decider, created)
      .when(change({ name: 'Ann' }))
      .then([]);
  });

  it('turns the emails and phones lists into identities added and removed', () => {
    given(decider, created)
      .when(change({ emails: ['ANN@acme.test', 'ann@home.test'], phones: ['+31 6 1234 5678'] }))
      .then([
        { type: 'ContactIdentityAdded', data: { identity: { kind: 'email', value: 'ann@home.test' } } },
        { type: 'ContactIdentityAdded', data: { identity: phone } },
      ]);
    given(decider, created)
      .when(change({ emails: ['ann@home.test'] }))
      .then([
        { type: 'ContactIdentityRemoved', data: { identity: ann } },
        { type: 'ContactIdentityAdded', data: { identity: { kind: 'email', value: 'ann@home.test' } } },
      ]);
  });

  it.each([
    ['an email that is not one', { emails: ['ann@acme.test', 'not-an-email'] }, /^emails\[1\] is not an email address \(got "not-an-email"\)$/],
    ['a phone that is not one', { phones: ['12'] }, /^phones\[0\] is not a phone number like \+31612345678 \(got "12"\)$/],
    ['an unknown custom property', { custom: { colour: 'red' } }, /^custom\.colour is not a property of contacts/],
    ['a company property on a contact', { custom: { industry: 'Retail' } }, /^custom\.industry is not a property of contacts/],
    ['a number that is not one', { custom: { seats: 'many' } }, /^custom\.seats must be a number \(got "many"\)$/],
    ['a date that is not YYYY-MM-DD', { custom: { renewal: '2026-02-30' } }, /^custom\.renewal must be a date as YYYY-MM-DD \(got "2026-02-30"\)$/],
    ['a choice that is not an option', { custom: { plan: 'Gold' } }, /^custom\.plan must be one of Free, Pro \(got "Gold"\)$/],
    ['a name that is not text', { name: 42 }, /^name must be a text \(got 42\)$/],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, /^name must be at most 200 characters/],
  ])('refuses %s, naming the field and the value', (_label, changes, message) => {
    given(decider, created).when(change(changes)).thenThrows('invalid-input', message);
  });

  it('accepts custom values of each type and clears one with null', () => {
    given(decider, created)
      .when(change({ custom: { plan: 'Pro', seats: '12', renewal: '2027-01-31', notes: ' VIP ' } }))
      .then([{ type: 'ContactPropertiesChanged', data: { custom: { plan: 'Pro', seats: 12, renewal: '2027-01-31', notes: 'VIP' } } }]);
    const withPlan: ContactEvent = { type: 'ContactPropertiesChanged', data: { custom: { plan: 'Pro' } } };
    given(decider, created, withPlan)
      .when(change({ custom: { plan: null, seats: null } }))
      .then([{ type: 'ContactPropertiesChanged', data: { custom: { plan: null } } }]);
    expect(stateAfter(decider, created, withPlan)).toMatchObject({ custom: { plan: 'Pro' } });
  });

  it('refuses to leave a contact without name and identities', () => {
    const noName: ContactEvent = { type: 'ContactPropertiesChanged', data: { name: '' } };
    given(decider, created, noName)
      .when(change({ emails: [] }))
      .thenThrows('invalid-input', /needs a name/);
  });
});

describe('contact: FillContactName and AssociateCompany', () => {
  it('fills an empty name from a message, never a set one', () => {
    given(decider, nameless)
      .when({ type: 'FillContactName', data: { name: 'Bob' } })
      .then([{ type: 'ContactPropertiesChanged', data: { name: 'Bob', via: 'message' } }]);
    given(decider, created)
      .when({ type: 'FillContactName', data: { name: 'Annie' } })
      .then([]);
    given(decider)
      .when({ type: 'FillContactName', data: { name: 'Bob' } })
      .then([]);
  });

  it('joins the company by email domain only while it has none', () => {
    given(decider, created)
      .when({ type: 'AssociateCompany', data: { companyId: 'co1' } })
      .then([{ type: 'ContactPropertiesChanged', data: { companyId: 'co1', via: 'email-domain' } }]);
    given(decider, created, { type: 'ContactPropertiesChanged', data: { companyId: 'co2' } })
      .when({ type: 'AssociateCompany', data: { companyId: 'co1' } })
      .then([]);
  });
});

describe('contact: merge', () => {
  const merged: ContactEvent = { type: 'ContactMerged', data: { intoContactId: 'c1', at: 't' } };
  const erased: ContactEvent = { type: 'ContactErased', data: { at: 't', conversationIds: [], ticketIds: [] } };

  it('the source points to the target; repeating it is a no-op', () => {
    given(decider, nameless)
      .when({ type: 'MergeContactInto', data: { contactId: 'c2', intoContactId: 'c1', at: 't' } })
      .then([merged]);
    given(decider, nameless, merged)
      .when({ type: 'MergeContactInto', data: { contactId: 'c2', intoContactId: 'c1', at: 't' } })
      .then([]);
  });

  it('the target takes the identities it lacks and fills its empty properties, keeping its own', () => {
    const target = stateAfter(decider, nameless);
    expect(target.status).toBe('active');
    given(decider, created, { type: 'ContactPropertiesChanged', data: { custom: { plan: 'Pro' } } })
      .when({
        type: 'AcceptMergedContact',
        data: {
          contactId: 'c1',
          fromContactId: 'c2',
          from: { identities: [phone, ann], name: 'Bob', jobTitle: 'CFO', companyId: 'co1', custom: { plan: 'Free', seats: 3 } },
          at: 't',
        },
      })
      .then([
        {
          type: 'ContactMergedIn',
          data: { fromContactId: 'c2', identities: [phone], filled: { jobTitle: 'CFO', companyId: 'co1', custom: { seats: 3 } }, at: 't' },
        },
      ]);
    const after = stateAfter(decider, created, {
      type: 'ContactMergedIn',
      data: { fromContactId: 'c2', identities: [phone], filled: { jobTitle: 'CFO' }, at: 't' },
    });
    expect(after).toMatchObject({ status: 'active', name: 'Ann', jobTitle: 'CFO', identities: [ann, phone] });
  });

  it.each([
    ['into itself', [created], { type: 'MergeContactInto', data: { contactId: 'c1', intoContactId: 'c1', at: 't' } }, 'invalid-input', /into itself/],
    [
      'from a merged contact',
      [nameless, merged],
      { type: 'MergeContactInto', data: { contactId: 'c2', intoContactId: 'c9', at: 't' } },
      'invalid-transition',
      /merged into c1 already/,
    ],
    [
      'from an erased contact',
      [nameless, erased],
      { type: 'MergeContactInto', data: { contactId: 'c2', intoContactId: 'c1', at: 't' } },
      'invalid-transition',
      /was erased; it cannot be merged/,
    ],
    ['from an unknown contact', [], { type: 'MergeContactInto', data: { contactId: 'c2', intoContactId: 'c1', at: 't' } }, 'not-found', /contact not found/],
    [
      'into a merged contact',
      [nameless, merged],
      {
        type: 'AcceptMergedContact',
        data: { contactId: 'c2', fromContactId: 'c3', from: { identities: [], name: null, jobTitle: null, companyId: null, custom: {} }, at: 't' },
      },
      'invalid-transition',
      /merge into that one instead/,
    ],
    [
      'into an erased contact',
      [nameless, erased],
      {
        type: 'AcceptMergedContact',
        data: { contactId: 'c2', fromContactId: 'c3', from: { identities: [], name: null, jobTitle: null, companyId: null, custom: {} }, at: 't' },
      },
      'invalid-transition',
      /nothing can be merged into it/,
    ],
  ] as const)('refuses a merge %s', (_label, history, command, code, message) => {
    given(decider, ...(history as unknown as ContactEvent[]))
      .when(command as ContactCommand)
      .thenThrows(code, message);
  });

  it('a merged contact refuses changes and names where it went', () => {
    given(decider, nameless, merged)
      .when(change({ name: 'Bob' }))
      .thenThrows('invalid-transition', /merged into c1; change that one/);
  });
});

describe('contact: SplitContactIdentity and EraseContact', () => {
  const both: ContactEvent = { type: 'ContactIdentityAdded', data: { identity: phone } };

  it('removes the identity, naming the contact it went to', () => {
    given(decider, created, both)
      .when({ type: 'SplitContactIdentity', data: { identityKey: 'phone:+31612345678', splitTo: 'c5' } })
      .then([{ type: 'ContactIdentityRemoved', data: { identity: phone, splitTo: 'c5' } }]);
    expect(stateAfter(decider, created, both, { type: 'ContactIdentityRemoved', data: { identity: phone, splitTo: 'c5' } })).toMatchObject({
      identities: [ann],
    });
  });

  it('refuses the last identity and an unknown one', () => {
    given(decider, created)
      .when({ type: 'SplitContactIdentity', data: { identityKey: 'email:ann@acme.test', splitTo: 'c5' } })
      .thenThrows('invalid-transition', /only identity of the contact/);
    given(decider, created, both)
      .when({ type: 'SplitContactIdentity', data: { identityKey: 'email:bob@acme.test', splitTo: 'c5' } })
      .thenThrows('invalid-input', /^identity "email:bob@acme.test" is not one of the contact identities email:ann@acme.test, phone:\+31612345678$/);
  });

  it('erases once; the shell refuses changes', () => {
    const erase: ContactCommand = { type: 'EraseContact', data: { at: 't', conversationIds: ['v1'], ticketIds: [] } };
    given(decider, created)
      .when(erase)
      .then([{ type: 'ContactErased', data: { at: 't', conversationIds: ['v1'], ticketIds: [] } }]);
    const erased: ContactEvent = { type: 'ContactErased', data: { at: 't', conversationIds: ['v1'], ticketIds: [] } };
    given(decider, created, erased).when(erase).then([]);
    given(decider, created, erased)
      .when(change({ name: 'X' }))
      .thenThrows('invalid-transition', /was erased/);
    given(decider).when(erase).thenThrows('not-found');
  });
});

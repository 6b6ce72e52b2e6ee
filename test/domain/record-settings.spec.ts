import { recordSettingsDecider as decider, type RecordSettingsCommand } from '../../src/domain/record-settings/record-settings.decider';
import type { RecordSettingsEvent } from '../../src/domain/record-settings/record-settings.events';
import { DEFAULT_FREE_MAIL_DOMAINS } from '../../src/domain/record-settings/record-properties';
import { given, stateAfter } from '../support/given-when-then';

const plan: RecordSettingsEvent = {
  type: 'PropertyDefined',
  data: { object: 'contact', key: 'plan', label: 'Plan', type: 'choice', options: ['Free', 'Pro'] },
};
const archived: RecordSettingsEvent = { type: 'PropertyArchived', data: { object: 'contact', key: 'plan' } };
const define = (data: Record<string, unknown>): RecordSettingsCommand => ({
  type: 'DefineProperty',
  data: { object: 'contact', key: 'plan', label: 'Plan', type: 'text', ...data } as never,
});

describe('record settings: properties', () => {
  it('defines a property; a choice keeps its trimmed options in order', () => {
    given(decider)
      .when(define({ type: 'choice', label: ' Plan ', options: [' Free', 'Pro '] }))
      .then([plan]);
  });

  it('refuses a key taken, even by an archived property, but not by another object', () => {
    given(decider, plan)
      .when(define({}))
      .thenThrows('invalid-input', /the contact property plan exists/);
    given(decider, plan, archived)
      .when(define({}))
      .thenThrows('invalid-input', /perhaps archived/);
    given(decider, plan)
      .when(define({ object: 'ticket' }))
      .then([{ type: 'PropertyDefined', data: { object: 'ticket', key: 'plan', label: 'Plan', type: 'text' } }]);
  });

  it.each([
    ['a key with capitals', { key: 'Plan' }, /^key must be a lower-case letter .* \(got "Plan"\)$/],
    ['a key over 40 characters', { key: 'a'.repeat(41) }, /^key must be/],
    ['an empty label', { label: ' ' }, /^label must not be empty/],
    ['an unknown type', { type: 'colour' }, /^type must be one of text, number, date, choice \(got "colour"\)$/],
    ['an unknown object', { object: 'deal' }, /^object must be one of contact, company, ticket \(got "deal"\)$/],
    ['a choice without options', { type: 'choice', options: [] }, /^options must be a list of 1 to 50 choices$/],
    ['a choice with 51 options', { type: 'choice', options: Array.from({ length: 51 }, (_, i) => `o${i}`) }, /^options must be a list of 1 to 50/],
    ['a choice with an empty option', { type: 'choice', options: ['a', ' '] }, /^options\[1\] must be a text of 1 to 100 characters \(got " "\)$/],
    ['a choice with a repeated option', { type: 'choice', options: ['a', 'a'] }, /^options\[1\] repeats the option "a"/],
    ['options on a text property', { options: ['a'] }, /only for properties of type choice/],
  ])('refuses %s', (_label, data, message) => {
    given(decider).when(define(data)).thenThrows('invalid-input', message);
  });

  it('relabels and changes options; archived properties are gone', () => {
    given(decider, plan)
      .when({ type: 'ChangeProperty', data: { object: 'contact', key: 'plan', label: 'Plan', options: ['Free', 'Pro', 'Team'] } })
      .then([{ type: 'PropertyChanged', data: { object: 'contact', key: 'plan', options: ['Free', 'Pro', 'Team'] } }]);
    given(decider, plan, archived)
      .when({ type: 'ChangeProperty', data: { object: 'contact', key: 'plan', label: 'X' } })
      .thenThrows('not-found', /does not exist \(or is archived\)/);
    given(decider, plan)
      .when({ type: 'ArchiveProperty', data: { object: 'contact', key: 'plan' } })
      .then([archived]);
    given(decider, plan, archived)
      .when({ type: 'ArchiveProperty', data: { object: 'contact', key: 'plan' } })
      .then([]);
  });
});

describe('record settings: cards and free-mail domains', () => {
  it('chooses built-in and live custom keys for a card, at most 8', () => {
    given(decider, plan)
      .when({ type: 'ChooseCardProperties', data: { object: 'contact', keys: ['plan', 'emails', 'plan'] } })
      .then([{ type: 'CardPropertiesChosen', data: { object: 'contact', keys: ['plan', 'emails'] } }]);
    given(decider, plan, archived)
      .when({ type: 'ChooseCardProperties', data: { object: 'contact', keys: ['emails', 'plan'] } })
      .thenThrows('invalid-input', /^keys\[1\] is not a property of contacts \(got "plan"\)$/);
    given(decider)
      .when({ type: 'ChooseCardProperties', data: { object: 'ticket', keys: ['status', 'emails'] } })
      .thenThrows('invalid-input', /^keys\[1\] is not a property of tickets/);
    given(decider)
      .when({ type: 'ChooseCardProperties', data: { object: 'contact', keys: Array(9).fill('name') } })
      .thenThrows('invalid-input', /at most 8 properties \(got 9\)/);
  });

  it('archiving a property takes it off the card', () => {
    const chosen: RecordSettingsEvent = { type: 'CardPropertiesChosen', data: { object: 'contact', keys: ['plan', 'emails'] } };
    expect(stateAfter(decider, plan, chosen, archived).cardProperties.contact).toEqual(['emails']);
  });

  it('sets the free-mail domains lower-cased and deduplicated, refusing one that is not a domain', () => {
    expect(stateAfter(decider).freeMailDomains).toEqual(DEFAULT_FREE_MAIL_DOMAINS);
    given(decider)
      .when({ type: 'SetFreeMailDomains', data: { domains: ['Gmail.com', 'gmail.com', 'mail.example.org'] } })
      .then([{ type: 'FreeMailDomainsSet', data: { domains: ['gmail.com', 'mail.example.org'] } }]);
    given(decider)
      .when({ type: 'SetFreeMailDomains', data: { domains: ['gmail.com', 'not a domain'] } })
      .thenThrows('invalid-input', /^domains\[1\] is not an email domain like gmail.com \(got "not a domain"\)$/);
    given(decider)
      .when({ type: 'SetFreeMailDomains', data: { domains: Array.from({ length: 501 }, (_, i) => `d${i}.test`) } })
      .thenThrows('invalid-input', /at most 500 free-mail domains/);
  });
});

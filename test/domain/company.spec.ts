import { companyDecider as decider, companyNameFromDomain } from '../../src/domain/company/company.decider';
import type { CompanyEvent } from '../../src/domain/company/company.events';
import type { PropertyDefinition } from '../../src/domain/record-settings/record-properties';
import { given, stateAfter } from '../support/given-when-then';

const created: CompanyEvent = {
  type: 'CompanyCreated',
  data: { companyId: 'co1', name: 'Acme', domain: 'acme.test', source: 'email-domain', createdAt: '2026-12-01T10:00:00.000Z' },
};
const definitions: PropertyDefinition[] = [{ object: 'company', key: 'tier', label: 'Tier', type: 'choice', options: ['A', 'B'] }];

describe('company', () => {
  it('is created with a trimmed name and a lower-case domain', () => {
    given(decider)
      .when({
        type: 'CreateCompany',
        data: { companyId: 'co1', name: ' Acme ', domain: '@ACME.test', source: 'email-domain', createdAt: '2026-12-01T10:00:00.000Z' },
      })
      .then([created]);
  });

  it('a domain company found again is a no-op; an agent id reused is a conflict', () => {
    given(decider, created)
      .when({ type: 'CreateCompany', data: { companyId: 'co1', name: 'Acme', domain: 'acme.test', source: 'email-domain', createdAt: 'x' } })
      .then([]);
    given(decider, created)
      .when({ type: 'CreateCompany', data: { companyId: 'co1', name: 'Acme', source: 'agent', createdAt: 'x' } })
      .thenThrows('conflict');
  });

  it('refuses an empty name and a domain that is not one', () => {
    given(decider)
      .when({ type: 'CreateCompany', data: { companyId: 'co1', name: ' ', source: 'agent', createdAt: 'x' } })
      .thenThrows('invalid-input', /^name must not be empty/);
    given(decider)
      .when({ type: 'CreateCompany', data: { companyId: 'co1', name: 'Acme', domain: 'acme', source: 'agent', createdAt: 'x' } })
      .thenThrows('invalid-input', /^domain must be a domain like acme.com \(got "acme"\)$/);
  });

  it('changes only what differs, custom values checked against the company properties', () => {
    given(decider, created)
      .when({ type: 'ChangeCompany', data: { name: 'Acme', domain: null, custom: { tier: 'A' }, definitions } })
      .then([{ type: 'CompanyChanged', data: { domain: null, custom: { tier: 'A' } } }]);
    given(decider, created)
      .when({ type: 'ChangeCompany', data: { custom: { tier: 'C' }, definitions } })
      .thenThrows('invalid-input', /^custom\.tier must be one of A, B \(got "C"\)$/);
    given(decider)
      .when({ type: 'ChangeCompany', data: { name: 'X', definitions } })
      .thenThrows('not-found');
    expect(stateAfter(decider, created, { type: 'CompanyChanged', data: { custom: { tier: 'A' } } })).toMatchObject({ custom: { tier: 'A' } });
  });

  it('names a company after the first label of its domain', () => {
    expect(companyNameFromDomain('acme-corp.co.uk')).toBe('Acme Corp');
    expect(companyNameFromDomain('example.com')).toBe('Example');
  });
});

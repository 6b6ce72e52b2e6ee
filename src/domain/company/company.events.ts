import type { CustomChanges } from '../record-settings/record-properties';

/**
 * A company (stream `company-<id>`): created by hand or found by a contact's email domain (free-mail
 * domains excluded). Its contacts hold it as their `companyId`.
 */
export type CompanyEvent = CompanyCreated | CompanyChanged;

export interface CompanyCreated {
  type: 'CompanyCreated';
  data: { companyId: string; name: string; domain: string | null; source: 'email-domain' | 'agent'; createdAt: string };
}

/** Only what changed is present. */
export interface CompanyChanged {
  type: 'CompanyChanged';
  data: { name?: string; domain?: string | null; custom?: CustomChanges };
}

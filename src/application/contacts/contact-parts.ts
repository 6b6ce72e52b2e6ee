import {
  ArchivePropertyHandler,
  ChangePropertyHandler,
  ChooseCardPropertiesHandler,
  CreateCompanyHandler,
  DefinePropertyHandler,
  SetFreeMailDomainsHandler,
  UpdateCompanyHandler,
} from './company-and-settings-commands.handler';
import {
  CreateContactHandler,
  LinkConversationContactHandler,
  MergeContactsHandler,
  SplitContactIdentityHandler,
  UpdateContactHandler,
} from './contact-commands.handler';
import {
  GetCompaniesHandler,
  GetCompanyHandler,
  GetContactHandler,
  GetContactTimelineHandler,
  GetRecordSettingsHandler,
  SearchCompaniesHandler,
  SearchContactsHandler,
} from './contact-queries.handler';
import { ContactRecords } from './contact-records.saga';
import { ContactResolver } from './contact-resolver';

/** Contacts, companies and record settings (docs/contacts.md): their handlers, process manager and services, listed once. */
export const contactCommandHandlers = [
  CreateContactHandler,
  UpdateContactHandler,
  MergeContactsHandler,
  SplitContactIdentityHandler,
  LinkConversationContactHandler,
  CreateCompanyHandler,
  UpdateCompanyHandler,
  DefinePropertyHandler,
  ChangePropertyHandler,
  ArchivePropertyHandler,
  ChooseCardPropertiesHandler,
  SetFreeMailDomainsHandler,
];

export const contactQueryHandlers = [
  GetContactHandler,
  SearchContactsHandler,
  GetContactTimelineHandler,
  GetCompanyHandler,
  GetCompaniesHandler,
  SearchCompaniesHandler,
  GetRecordSettingsHandler,
];

export const contactProcessManagers = [ContactRecords];

/** Injectable services other handlers use (the ingest path resolves senders to contacts). */
export const contactServices = [ContactResolver];

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { PROPERTY_TYPES, RECORD_OBJECTS, type PropertyType, type RecordObject } from '../../../domain/record-settings/record-properties';
import { ConversationSummary } from './responses.dto';

/**
 * Contacts, companies and the record settings (docs/contacts.md). The shapes are checked here; the
 * values (an email address, a phone number, a custom property of the right type) by the domain,
 * whose refusals name the field and the value (`emails[1]`, `custom.plan`).
 */

const CUSTOM_DESCRIPTION = 'Custom property values by key (defined in the record settings); null clears one. Only the keys given change.';

export class ContactInputDto {
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptional()
  @IsString({ message: 'jobTitle must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String })
  jobTitle?: string;

  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsUUID('all', { message: 'companyId must be a company id (UUID) or null' })
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'null leaves the company.' })
  companyId?: string | null;

  @IsOptional()
  @IsArray({ message: 'emails must be a list of email addresses' })
  @ArrayMaxSize(50)
  @IsString({ each: true, message: 'emails must hold email addresses as strings' })
  @ApiPropertyOptional({ type: [String], description: 'Replaces the email identities; the first is the primary address.' })
  emails?: string[];

  @IsOptional()
  @IsArray({ message: 'phones must be a list of phone numbers' })
  @ArrayMaxSize(50)
  @IsString({ each: true, message: 'phones must hold phone numbers as strings' })
  @ApiPropertyOptional({ type: [String], description: 'Replaces the phone identities (E.164 after normalising, e.g. +31612345678).' })
  phones?: string[];

  @IsOptional()
  @IsObject({ message: 'custom must be an object of property keys and values' })
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: CUSTOM_DESCRIPTION, example: { plan: 'Pro' } })
  custom?: Record<string, string | number | null>;
}

export class ContactSearchQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Words of the name, an email address or part of it, a phone number.' })
  @Allow()
  q?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @Allow()
  companyId?: unknown;
  @ApiPropertyOptional({ type: 'integer', description: '1 to 100; default 50.' })
  @Allow()
  limit?: unknown;
  @ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page.' })
  @Allow()
  cursor?: unknown;
}

export class CompanySearchQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Words of the name or the domain.' })
  @Allow()
  q?: unknown;
  @ApiPropertyOptional({ type: 'integer', description: '1 to 100; default 50.' })
  @Allow()
  limit?: unknown;
  @ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page.' })
  @Allow()
  cursor?: unknown;
}

export class MergeContactDto {
  @IsUUID('all', { message: 'intoContactId must be a contact id (UUID)' })
  @ApiProperty({ type: String, format: 'uuid', description: 'The contact that remains; this one is merged into it.' })
  intoContactId: string;
}

export class SplitContactDto {
  @IsString({ message: 'identity must be an identity key like email:ann@example.com' })
  @MaxLength(600)
  @ApiProperty({ type: String, example: 'email:ann@example.com', description: 'The identity key, as `identities` lists them: `<kind>:<value>`.' })
  identity: string;
}

export class LinkContactDto {
  @IsUUID('all', { message: 'contactId must be a contact id (UUID)' })
  @ApiProperty({ type: String, format: 'uuid' })
  contactId: string;
}

export class CompanyInputDto {
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String, description: 'Required when creating.' })
  name?: string;

  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsString({ message: 'domain must be a domain like acme.com, or null' })
  @MaxLength(300)
  @ApiPropertyOptional({ type: String, nullable: true, example: 'acme.com' })
  domain?: string | null;

  @IsOptional()
  @IsObject({ message: 'custom must be an object of property keys and values' })
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: CUSTOM_DESCRIPTION, example: { industry: 'Retail' } })
  custom?: Record<string, string | number | null>;
}

export class DefinePropertyDto {
  @IsIn(RECORD_OBJECTS, { message: `object must be one of ${RECORD_OBJECTS.join(', ')}` })
  @ApiProperty({ type: String, enum: RECORD_OBJECTS })
  object: RecordObject;

  @IsString({ message: 'key must be a string' })
  @MaxLength(100)
  @ApiProperty({ type: String, example: 'plan', description: '`^[a-z][a-z0-9_]{0,39}$`, unique per object; never reused after archiving.' })
  key: string;

  @IsString({ message: 'label must be a string' })
  @MaxLength(1000)
  @ApiProperty({ type: String, example: 'Plan' })
  label: string;

  @IsIn(PROPERTY_TYPES, { message: `type must be one of ${PROPERTY_TYPES.join(', ')}` })
  @ApiProperty({ type: String, enum: PROPERTY_TYPES })
  type: PropertyType;

  @IsOptional()
  @IsArray({ message: 'options must be a list of choices' })
  @ArrayMaxSize(100)
  @ApiPropertyOptional({ type: [String], description: 'For type choice: 1 to 50 unique options, in order.' })
  options?: string[];
}

export class ChangePropertyDto {
  @IsOptional()
  @IsString({ message: 'label must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String })
  label?: string;

  @IsOptional()
  @IsArray({ message: 'options must be a list of choices' })
  @ArrayMaxSize(100)
  @ApiPropertyOptional({ type: [String], description: 'For a choice property: replaces the options.' })
  options?: string[];
}

export class CardPropertiesDto {
  @IsArray({ message: 'keys must be a list of property keys' })
  @ArrayMaxSize(100)
  @ApiProperty({
    type: [String],
    description: 'Built-in keys (contact: name, emails, phones, company, jobTitle; ticket: status, priority, owner, createdAt) or custom keys; at most 8.',
  })
  keys: string[];
}

export class FreeMailDomainsDto {
  @IsArray({ message: 'domains must be a list of email domains' })
  @ArrayMaxSize(1000)
  @ApiProperty({ type: [String], example: ['gmail.com', 'outlook.com'] })
  domains: string[];
}

// ---- answers (OpenAPI) ---------------------------------------------------------------------

export class ContactIdentityView {
  @ApiProperty({ type: String, enum: ['email', 'phone', 'messenger', 'chat', 'other'] })
  kind: string;
  @ApiProperty({ type: String })
  value: string;
  @ApiPropertyOptional({ type: String, description: 'For `other`: the channel whose address it is.' })
  channel?: string;
}

export class ContactRecordView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, nullable: true })
  name: string | null;
  @ApiProperty({ type: [String] })
  emails: string[];
  @ApiProperty({ type: [String] })
  phones: string[];
  @ApiProperty({ type: () => [ContactIdentityView] })
  identities: ContactIdentityView[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  companyId: string | null;
  @ApiProperty({ type: String, nullable: true })
  jobTitle: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  custom: Record<string, string | number>;
  @ApiProperty({ type: [String] })
  inboxIds: string[];
  @ApiProperty({ type: Number })
  conversationCount: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastActivityAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  mergedInto: string | null;
  @ApiProperty({ type: Boolean })
  erased: boolean;
  @ApiProperty({ type: Number, description: 'Send as `If-Match: "<revision>"` with a change.' })
  revision: number;
}

export class CompanyRecordView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String })
  name: string;
  @ApiProperty({ type: String, nullable: true })
  domain: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  custom: Record<string, string | number>;
  @ApiProperty({ type: Number })
  contactCount: number;
  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
  @ApiProperty({ type: Number })
  revision: number;
}

export class ContactViewDto extends ContactRecordView {
  @ApiProperty({ type: () => CompanyRecordView, nullable: true })
  company: CompanyRecordView | null;
  @ApiProperty({ type: () => [ConversationSummary], description: 'Its conversations you can reach, newest first.' })
  conversations: ConversationSummary[];
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Its tickets you can reach, newest first.' })
  tickets: object[];
}

export class CompanyViewDto extends CompanyRecordView {
  @ApiProperty({ type: () => [ContactRecordView] })
  contacts: ContactRecordView[];
  @ApiProperty({ type: () => [ConversationSummary] })
  conversations: ConversationSummary[];
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  tickets: object[];
}

export class ContactPage {
  @ApiProperty({ type: () => [ContactRecordView] })
  items: ContactRecordView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}

export class CompanyPage {
  @ApiProperty({ type: () => [CompanyRecordView] })
  items: CompanyRecordView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}

export class ContactTimelineEntryView {
  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
  @ApiProperty({ type: String, example: 'ContactMergedIn' })
  type: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '`{type, id?, name?}`' })
  actor: object;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '`{kind: contact|conversation|ticket, id}`' })
  subject: object;
  @ApiProperty({ type: 'object', additionalProperties: true })
  details: object;
}

export class PropertyDefinitionView {
  @ApiProperty({ type: String, enum: RECORD_OBJECTS })
  object: string;
  @ApiProperty({ type: String })
  key: string;
  @ApiProperty({ type: String })
  label: string;
  @ApiProperty({ type: String, enum: PROPERTY_TYPES })
  type: string;
  @ApiPropertyOptional({ type: [String] })
  options?: string[];
}

export class RecordSettingsView {
  @ApiProperty({ type: () => [PropertyDefinitionView], description: 'Live custom properties (archived ones left out).' })
  properties: PropertyDefinitionView[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: '`{contact: [...], ticket: [...]}`' })
  cardProperties: object;
  @ApiProperty({ type: [String] })
  freeMailDomains: string[];
}

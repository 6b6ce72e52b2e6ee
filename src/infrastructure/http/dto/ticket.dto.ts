import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional } from 'class-validator';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../../../domain/ticket/ticket.events';
import { ConversationSummary, TicketResult } from './responses.dto';

/*
 * The values are checked by the ticket decider (and the owner by the application), which name the
 * field and the value in the reader's language; these classes whitelist the names and describe them.
 */

const customDescription = 'Custom ticket property values by key (record settings); null clears a value.';

/** `PATCH /api/tickets/:id`: only what is sent changes. */
export class UpdateTicketDto {
  @ApiPropertyOptional({ type: String, maxLength: 200 })
  @IsOptional()
  @Allow()
  name?: string;

  @ApiPropertyOptional({ type: String, enum: TICKET_STATUSES })
  @IsOptional()
  @Allow()
  status?: (typeof TICKET_STATUSES)[number];

  @ApiPropertyOptional({ type: String, enum: TICKET_PRIORITIES, nullable: true, description: 'null: no priority.' })
  @Allow()
  priority?: (typeof TICKET_PRIORITIES)[number] | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'An agent who reaches the inbox; null: no owner.' })
  @Allow()
  ownerId?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }], nullable: true },
    description: customDescription,
  })
  @IsOptional()
  @Allow()
  custom?: Record<string, string | number | null>;
}

/** `POST /api/conversations/:id/ticket`. */
export class CreateTicketDto extends UpdateTicketDto {
  @ApiProperty({ type: String, maxLength: 200 })
  @Allow()
  declare name: string;
}

/** `GET /api/tickets`: names whitelisted here, values checked by the application (a 400 names each bad one). */
export class SearchTicketsQueryDto {
  @ApiPropertyOptional({ type: String, enum: TICKET_STATUSES })
  @Allow()
  status?: unknown;
  @ApiPropertyOptional({ type: String, description: 'An agent id, or "none" for tickets without an owner.' })
  @Allow()
  ownerId?: unknown;
  @ApiPropertyOptional({ type: String, enum: TICKET_PRIORITIES })
  @Allow()
  priority?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @Allow()
  contactId?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @Allow()
  companyId?: unknown;
  @ApiPropertyOptional({ type: String, description: 'Words of the ticket name.' })
  @Allow()
  q?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Only this inbox (default: every inbox you reach).' })
  @Allow()
  inboxId?: unknown;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 25 })
  @Allow()
  limit?: unknown;
  @ApiPropertyOptional({ type: String, description: 'nextCursor of the previous page.' })
  @Allow()
  cursor?: unknown;
}

export class TicketRecordView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, format: 'uuid' })
  conversationId: string;
  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "The conversation's contact." })
  contactId: string | null;
  @ApiProperty({ type: String })
  name: string;
  @ApiProperty({ type: String, enum: TICKET_STATUSES })
  status: string;
  @ApiProperty({ type: String, enum: TICKET_PRIORITIES, nullable: true })
  priority: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  ownerId: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }], nullable: true },
    description: 'Custom ticket property values by key.',
  })
  custom: Record<string, string | number>;
  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  closedAt: string | null;
  @ApiProperty({ type: 'integer', description: 'The ticket stream revision: send it back as If-Match.' })
  revision: number;
}

export class TicketOwnerView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String })
  name: string;
}

export class TicketDetailView extends TicketRecordView {
  @ApiProperty({ type: ConversationSummary })
  conversation: ConversationSummary;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'The contact record (GET /api/contacts/:id), or null.' })
  contact: Record<string, unknown> | null;
  @ApiProperty({ type: TicketOwnerView, nullable: true })
  owner: TicketOwnerView | null;
  @ApiProperty({ type: [TicketRecordView], description: "The contact's other tickets you can reach, newest first." })
  otherTickets: TicketRecordView[];
}

export class TicketPage {
  @ApiProperty({ type: [TicketRecordView] })
  items: TicketRecordView[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

/** What creating a ticket answers: the conversation's `{ id, revision }` as before, the ticket's id, and the ticket. */
export class CreatedTicketResult extends TicketResult {
  @ApiProperty({ type: TicketDetailView })
  ticket: TicketDetailView;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS } from '../../../domain/shared/types';
import { InboxBusinessHoursDto, InboxRoutingDto } from './inbox-routing.dto';

/**
 * The shapes the API answers with, for the OpenAPI reference only: the handlers return the read
 * models themselves (application/ports/read-store.port.ts), these classes describe them.
 * Every property names its type, so the document does not depend on the compiler's metadata.
 */

const CHANNEL_NOTE = `a built-in channel (${CHANNELS.join(', ')}) or the id of a channel plugin`;

export class ErrorResponse {
  @ApiProperty({ type: Number, example: 400 })
  statusCode: number;

  @ApiProperty({ type: String, example: 'Bad Request' })
  error: string;

  @ApiProperty({
    type: String,
    example: 'field-too-long',
    description: "Which refusal this is, stable across wording and language (the status's own, e.g. `not-found`, where Parley names none more precisely).",
  })
  code: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: "What is wrong, naming the field and the value; a list when several fields are wrong. In the agent's saved language, else Accept-Language's.",
    example: 'inboxId must be an inbox id (UUID)',
  })
  message: string | string[];

  @ApiPropertyOptional({ type: Number, description: 'Seconds after which a retry may succeed (503).' })
  retryAfter?: number;
}

export class CommandResult {
  @ApiProperty({ type: String, format: 'uuid', description: 'The conversation.' })
  id: string;

  @ApiProperty({ type: Number, description: 'The revision after the command: send it as `If-Match: "<revision>"` with the next one.' })
  revision: number;
}

export class ReplyResult extends CommandResult {
  @ApiProperty({ type: String, format: 'uuid' })
  messageId: string;
}

export class ReplyWindowView {
  @ApiProperty({ type: Boolean, description: 'Whether a free-form reply may go out now. Channels without a window: always true.' })
  open: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When an open window closes unless the contact writes again; null when it does not close.',
  })
  closesAt: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Closed only: since when.' })
  closedAt?: string;

  @ApiPropertyOptional({ type: String, description: "Closed only: why, and what to do instead, in the agent's language (the channel's words)." })
  reason?: string;
}

export class MessageTemplateView {
  @ApiProperty({ type: String, example: 'order_update' })
  name: string;

  @ApiProperty({ type: String, example: 'en_US' })
  language: string;

  @ApiProperty({ type: String, example: 'UTILITY', description: "The provider's category (UTILITY, MARKETING, AUTHENTICATION)." })
  category: string;

  @ApiProperty({ type: String, example: 'Hello {{1}}, your order {{2}} has shipped.' })
  body: string;

  @ApiProperty({ type: Number, example: 2, description: 'How many parameters the body takes ({{1}} … {{n}}).' })
  parameterCount: number;
}

export class ReplyOptionsView {
  @ApiProperty({
    type: String,
    description: `The channel a reply goes out on by default: the conversation's own, or email for one that is answered by email (a support form); ${CHANNEL_NOTE}.`,
  })
  channel: string;

  @ApiProperty({ type: ReplyWindowView })
  window: ReplyWindowView;

  @ApiProperty({ type: [MessageTemplateView], description: 'The approved templates of a channel that declares `templates` (WhatsApp); [] otherwise.' })
  templates: MessageTemplateView[];
}

export class TicketResult extends CommandResult {
  @ApiProperty({ type: String, format: 'uuid' })
  ticketId: string;
}

export class ComposeResult {
  @ApiProperty({ type: String, format: 'uuid' })
  conversationId: string;

  @ApiProperty({ type: String, format: 'uuid' })
  messageId: string;

  @ApiProperty({ type: Number })
  revision: number;
}

export class PartyView {
  @ApiProperty({ type: String, example: 'jane@example.com' })
  address: string;

  @ApiPropertyOptional({ type: String, example: 'Jane Doe' })
  name?: string;
}

export class AssigneeView {
  @ApiProperty({ type: String, enum: ['agent', 'bot'] })
  type: 'agent' | 'bot';

  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'For an agent.' })
  id?: string;

  @ApiPropertyOptional({ type: String, description: 'For an agent.' })
  name?: string;
}

export class ContactView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ type: String })
  address: string;

  @ApiPropertyOptional({
    type: String,
    description: 'The email address a contact without one (a chat visitor) gave later: "Reply via Email" goes there (rule 12). Absent until then.',
  })
  email?: string;

  @ApiPropertyOptional({
    type: String,
    description:
      "The contact's language as their channel last said (a chat visitor's browser: nl, en); a chat's transcript is written in it. Absent when unknown.",
  })
  language?: string;
}

export class TicketView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiProperty({ type: String, enum: ['open', 'closed'] })
  status: 'open' | 'closed';
}

export class ConversationSummary {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;

  @ApiProperty({ type: String, description: CHANNEL_NOTE, example: 'email' })
  channel: string;

  @ApiProperty({ type: String, enum: ['open', 'closed'] })
  status: 'open' | 'closed';

  @ApiProperty({ type: String, enum: ['inbound', 'outbound'], description: 'outbound: started by an agent (compose).' })
  origin: 'inbound' | 'outbound';

  @ApiProperty({ type: () => AssigneeView, nullable: true, description: 'null: unassigned.' })
  assignee: AssigneeView | null;

  @ApiProperty({ type: () => ContactView, nullable: true })
  contact: ContactView | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The contact record holding the conversation now (following merges, splits and links); null when unlinked.',
  })
  contactId: string | null;

  @ApiProperty({ type: () => [PartyView], description: 'Distinct addresses that took part.' })
  participants: PartyView[];

  @ApiProperty({ type: String })
  subject: string;

  @ApiProperty({ type: String })
  preview: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the last message from outside arrived (the sort key).' })
  lastReceivedAt: string;

  @ApiProperty({ type: Boolean, description: 'The last message came from the contact: the team owes a reply.' })
  awaitingReply: boolean;

  @ApiProperty({ type: Boolean, description: 'Outbound email the contact has not answered yet (Sent view).' })
  awaitingContactReply: boolean;

  @ApiProperty({ type: String, nullable: true })
  commentPreview: string | null;

  @ApiProperty({ type: Boolean, description: 'Forwarded outside the company at least once.' })
  forwarded: boolean;

  @ApiProperty({ type: Boolean })
  spam: boolean;

  @ApiProperty({ type: Boolean })
  filtered: boolean;

  @ApiProperty({ type: Boolean })
  trashed: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  trashedAt: string | null;

  @ApiProperty({ type: () => TicketView, nullable: true })
  ticket: TicketView | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The ticket record linked to the conversation; null when none.' })
  ticketId: string | null;

  @ApiProperty({ type: Number, description: 'The revision this summary reflects: the ETag and If-Match value.' })
  revision: number;
}

export class AttachmentView {
  @ApiProperty({ type: String })
  id: string;

  @ApiProperty({ type: String })
  filename: string;

  @ApiProperty({ type: String })
  contentType: string;

  @ApiProperty({ type: Number, description: 'Bytes.' })
  size: number;
}

export class ReplyChoiceView {
  @ApiProperty({ type: String, example: 'billing' })
  id: string;

  @ApiProperty({ type: String, example: 'Billing' })
  label: string;
}

export class DeliveryView {
  @ApiProperty({ type: String, enum: ['queued', 'delivered', 'failed', 'retrying'] })
  status: 'queued' | 'delivered' | 'failed' | 'retrying';

  @ApiPropertyOptional({ type: String, description: "The last failure, or the channel's reason when it reported a failure after taking the reply." })
  reason?: string;

  @ApiPropertyOptional({
    type: String,
    enum: ['delivered', 'read'],
    description: "The channel's receipt (WhatsApp, Messenger): the reply reached the contact's device, or they read it. Only ever moves forward.",
  })
  receipt?: 'delivered' | 'read';

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When the receipt (or the failure the channel reported) happened.' })
  at?: string;
}

export class ReactionView {
  @ApiProperty({ type: String, example: '👍', description: 'One per contact and message: the latest.' })
  emoji: string;

  @ApiProperty({ type: () => PartyView })
  from: PartyView;

  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
}

export class MessageFieldView {
  @ApiProperty({ type: String, example: 'order-number' })
  key: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { en: 'Order number', nl: 'Bestelnummer' },
    description: 'By language; `en` always.',
  })
  label: Record<string, string>;

  @ApiProperty({ type: String })
  value: string;

  @ApiPropertyOptional({ type: String, description: "A link for the fact (a shared location's map)." })
  url?: string;
}

export class ReplyTemplateView {
  @ApiProperty({ type: String, example: 'order_update' })
  name: string;

  @ApiProperty({ type: String, example: 'en_US' })
  language: string;

  @ApiProperty({ type: [String], description: 'The body parameters, {{1}} first.' })
  parameters: string[];
}

export class MessageView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, enum: ['in', 'out'] })
  direction: 'in' | 'out';

  @ApiProperty({ type: String, description: CHANNEL_NOTE })
  channel: string;

  @ApiProperty({ type: () => PartyView })
  from: PartyView;

  @ApiProperty({ type: () => [PartyView] })
  to: PartyView[];

  @ApiProperty({ type: String })
  subject: string;

  @ApiProperty({ type: String })
  text: string;

  @ApiProperty({ type: String, nullable: true, description: 'Cleaned HTML, when the message had any.' })
  html: string | null;

  @ApiProperty({ type: () => [AttachmentView] })
  attachments: AttachmentView[];

  @ApiProperty({ type: String, format: 'date-time' })
  at: string;

  @ApiProperty({ type: () => DeliveryView, nullable: true, description: 'Outbound only.' })
  delivery: DeliveryView | null;

  @ApiProperty({
    type: String,
    enum: ['reply', 'forward', 'transcript'],
    nullable: true,
    description: "Outbound only: an answer to the contact, a forward, or a chat's transcript emailed (rule 12); null for inbound.",
  })
  kind: 'reply' | 'forward' | 'transcript' | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Outbound only: the agent's id, or `bot:<bot id>` for a bot's reply; null for inbound and for a transcript the system sent when the chat closed.",
  })
  authorId: string | null;

  @ApiPropertyOptional({
    type: () => [ReplyChoiceView],
    description: "A bot's reply only: the buttons its question offered the contact (docs/bot-flows.md).",
  })
  choices?: ReplyChoiceView[];

  @ApiPropertyOptional({ type: () => [ReactionView], description: "The contact's reactions to the message (WhatsApp, Messenger); absent when none." })
  reactions?: ReactionView[];

  @ApiPropertyOptional({
    type: () => [MessageFieldView],
    description: "Inbound only: structured facts of the message (a form's custom fields, a shared location or contact card); absent when none.",
  })
  fields?: MessageFieldView[];

  @ApiPropertyOptional({ type: () => ReplyTemplateView, description: "A reply sent as one of the channel's approved templates; absent otherwise." })
  template?: ReplyTemplateView;
}

export class CommentAuthor {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String })
  name: string;
}

export class CommentView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: () => CommentAuthor })
  author: CommentAuthor;

  @ApiProperty({ type: String })
  text: string;

  @ApiProperty({ type: [String], description: 'Agent ids mentioned with @name.' })
  mentions: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
}

export class ConversationDetail extends ConversationSummary {
  @ApiProperty({ type: () => [MessageView] })
  messages: MessageView[];

  @ApiProperty({ type: () => [CommentView] })
  comments: CommentView[];
}

export class ConversationPage {
  @ApiProperty({ type: () => [ConversationSummary] })
  items: ConversationSummary[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}

export class AgentView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiPropertyOptional({ type: String, format: 'email', description: 'Shown to admins and to the agent itself.' })
  email?: string;

  @ApiPropertyOptional({ type: String, enum: ['admin', 'agent'], description: 'Shown to admins and to the agent itself.' })
  role?: 'admin' | 'agent';

  @ApiProperty({ type: String, enum: ['available', 'away'] })
  availability: 'available' | 'away';

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'Whether the agent has Parley open (a live session, with the presence grace period). In the directory and `GET /api/me`. Only available and online agents are offered new conversations.',
  })
  online?: boolean;

  @ApiPropertyOptional({ type: String, description: 'The @mention handle (in the directory of non-admins).' })
  mention?: string;
}

export class AgentList {
  @ApiProperty({ type: () => [AgentView] })
  agents: AgentView[];
}

export class SessionAgent {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiProperty({ type: String, format: 'email' })
  email: string;

  @ApiProperty({ type: String, enum: ['admin', 'agent'] })
  role: 'admin' | 'agent';
}

export class SessionResponse {
  @ApiProperty({ type: String, description: 'Send as `Authorization: Bearer <token>`. The answer also sets the session cookie for the web UI.' })
  token: string;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: () => SessionAgent })
  agent: SessionAgent;
}

export class SetupStatus {
  @ApiProperty({ type: Boolean, description: 'No agent exists yet: POST /api/setup creates the first admin.' })
  needsSetup: boolean;
}

export class InboxView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiProperty({ type: String, format: 'email', nullable: true })
  emailAddress: string | null;

  @ApiProperty({ type: Boolean })
  isDefault: boolean;

  @ApiProperty({ type: [String], description: 'Agent ids.' })
  memberIds: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: () => InboxRoutingDto, description: 'Auto-assignment settings (as `GET /api/inboxes/:id/routing`).' })
  routing: InboxRoutingDto;

  @ApiProperty({ type: () => InboxBusinessHoursDto, description: 'Business hours (as `GET /api/inboxes/:id/business-hours`).' })
  businessHours: InboxBusinessHoursDto;
}

export class InboxList {
  @ApiProperty({ type: () => [InboxView] })
  inboxes: InboxView[];
}

export class ViewSummary {
  @ApiProperty({ type: String, description: 'A built-in view name (unassigned, assigned-to-me, …) or a custom view id.' })
  id: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiPropertyOptional({ type: Number })
  count?: number;

  @ApiPropertyOptional({ type: Boolean })
  alwaysVisible?: boolean;

  @ApiProperty({ type: Boolean, description: 'A saved filter of the inbox (then `filters` holds it).' })
  custom: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  filters?: Record<string, unknown>;
}

export class ViewListing {
  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;

  @ApiProperty({ type: () => [ViewSummary] })
  views: ViewSummary[];
}

export class HealthResponse {
  @ApiProperty({ type: String, example: 'ok' })
  status: string;

  @ApiProperty({ type: Number, description: 'The position of the event log every projection has applied.' })
  projectedPosition: number;
}

export class ChannelCapabilitiesView {
  @ApiProperty({ type: Boolean }) reply: boolean;
  @ApiProperty({ type: Boolean }) html: boolean;
  @ApiProperty({ type: Boolean }) attachments: boolean;
  @ApiProperty({ type: Boolean }) transcript: boolean;
  @ApiProperty({ type: Boolean }) switchToEmail: boolean;
  @ApiProperty({ type: Boolean }) forward: boolean;
  @ApiProperty({ type: Boolean }) compose: boolean;
}

export class ChannelView {
  @ApiProperty({ type: String, description: 'The plugin id.' })
  id: string;

  @ApiProperty({ type: String })
  displayName: string;

  @ApiProperty({ type: String, description: 'An inline SVG document.' })
  icon: string;

  @ApiProperty({ type: String, description: CHANNEL_NOTE })
  channel: string;

  @ApiProperty({ type: () => ChannelCapabilitiesView })
  capabilities: ChannelCapabilitiesView;

  @ApiProperty({ type: Boolean, description: 'Admins connect it to inboxes (`POST /api/inboxes/:id/channels`).' })
  connectable: boolean;
}

export class ChannelList {
  @ApiProperty({ type: () => [ChannelView] })
  channels: ChannelView[];
}

export class BulkItemResult {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: Boolean })
  ok: boolean;

  @ApiPropertyOptional({ type: Number, description: 'When ok is false: the error, as a single command would answer it.' })
  statusCode?: number;

  @ApiPropertyOptional({ type: String })
  message?: string;
}

export class BulkResult {
  @ApiProperty({ type: String, enum: ['close', 'trash'] })
  action: 'close' | 'trash';

  @ApiProperty({ type: () => [BulkItemResult] })
  results: BulkItemResult[];
}

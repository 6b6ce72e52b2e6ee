import { RemoveReplyFilesWhenConversationDeletedForever } from './process-managers/remove-reply-files-when-conversation-deleted-forever.saga';
import { GetConversationAtHandler, GetConversationHistoryHandler, VerifyConversationHandler } from './audit/audit-queries.handler';
import { AddCommentHandler } from './conversations/add-comment.handler';
import { AssignConversationHandler } from './conversations/assign-conversation.handler';
import { BlockSenderHandler } from './conversations/block-sender.handler';
import { BulkConversationActionHandler } from './conversations/bulk-conversation-action.handler';
import { ChangeConversationHandler } from './conversations/change-conversation.handler';
import { SendReplyHandler } from './conversations/send-reply.handler';
import { GetReplyOptionsHandler } from './conversations/reply-options.handler';
import { DeleteConversationHandler } from './conversations/delete-conversation.handler';
import { ReceiveInboundMessageHandler } from './conversations/receive-inbound-message.handler';
import { RecentOwners } from './conversations/recent-owners';
import { ComposeEmailHandler } from './email/compose-email.handler';
import { ForwardConversationHandler } from './email/forward-conversation.handler';
import { SendTranscriptHandler } from './transcripts/send-transcript.handler';
import { UnblockSenderHandler } from './conversations/unblock-sender.handler';
import {
  EndSessionHandler,
  RegisterAgentHandler,
  RemoveAgentHandler,
  SetAvailabilityHandler,
  SetPreferencesHandler,
  SetupFirstAdminHandler,
  UpdateAgentHandler,
} from './agents/agent-commands.handler';
import { CreateInboxHandler, EnsureDefaultInboxHandler, SetInboxMembersHandler, UpdateInboxHandler } from './inboxes/inbox-commands.handler';
import { inboxRoutingCommandHandlers, inboxRoutingQueryHandlers } from './inboxes/inbox-routing.handler';
import { BlockSenderWhenConversationFiltered } from './process-managers/block-sender-when-conversation-filtered.saga';
import { DeleteStreamWhenConversationDeleted } from './process-managers/delete-stream-when-conversation-deleted.saga';
import { ReleaseAgentEmailWhenAgentRemoved } from './process-managers/release-agent-email-when-agent-removed.saga';
import { UnassignConversationsWhenAgentRemoved } from './process-managers/unassign-conversations-when-agent-removed.saga';
import { UnassignWhenAssignedToRemovedAgent } from './process-managers/unassign-when-assigned-to-removed-agent.saga';
import { UnfilterConversationsWhenSenderUnblocked } from './process-managers/unfilter-conversations-when-sender-unblocked.saga';
import { ScheduleTrashPurge } from './process-managers/schedule-trash-purge.saga';
import { DeliverReplies } from './process-managers/deliver-replies.saga';
import { NotifyChannelWhenConversationDeletedForever } from './process-managers/notify-channel-when-conversation-deleted-forever.saga';
import { SendTranscriptWhenChatClosed } from './process-managers/send-transcript-when-chat-closed.saga';
import { AutoAssignConversations } from './process-managers/auto-assign-conversations.saga';
import { FlowBotRuns } from './bots/flow-bot.saga';
import { NotifyChannelOfDeletedConversationJob } from './jobs/notify-channel-of-deleted-conversation.job';
import { DeliverReplyJob } from './jobs/deliver-reply.job';
import { PurgeConversationJob } from './jobs/purge-conversation.job';
import { SweepTrashJob } from './jobs/sweep-trash.job';
import {
  AuthenticateHandler,
  CountAgentsHandler,
  GetAgentHandler,
  GetSessionAgentHandler,
  ListAgentDirectoryHandler,
  ListAgentsHandler,
  ListBlockedSendersHandler,
  ListInboxesHandler,
} from './queries/directory-queries.handler';
import { GetConversationHandler, ListViewConversationsHandler, ListViewsHandler } from './queries/inbox-queries.handler';
import { CreateCustomViewHandler } from './custom-views/create-custom-view.handler';
import { ListCustomViewConversationsHandler, ListCustomViewsHandler } from './custom-views/custom-view-queries.handler';
import { DeleteCustomViewHandler } from './custom-views/delete-custom-view.handler';
import { UpdateCustomViewHandler } from './custom-views/update-custom-view.handler';
import { ChangeChannelConnectionHandler, ConnectChannelHandler, DisconnectChannelHandler } from './channel-connections/channel-connection-commands.handler';
import { ListChannelConnectionsHandler } from './channel-connections/channel-connection-queries.handler';
import { SearchConversationsHandler } from './search/search-conversations.handler';
import {
  GetNotificationSettingsHandler,
  ListNotificationsHandler,
  MarkNotificationsReadHandler,
  SetNotificationSettingsHandler,
} from './notifications/notification.handlers';
import { NotifyAgents } from './notifications/notify-agents.saga';
import { SendNotificationEmailJob } from './notifications/send-notification-email.job';
import { botCommandHandlers, botJobHandlers, botProcessManagers, botQueryHandlers } from './bots/bot-parts';
import { GetAgentReportHandler } from './reports/agent-report.handler';
import { contactCommandHandlers, contactProcessManagers, contactQueryHandlers, contactServices } from './contacts/contact-parts';
import { EraseContactHandler, ExportContactHandler } from './privacy/privacy.handlers';
import { ticketCommandHandlers, ticketProcessManagers, ticketQueryHandlers, ticketServices } from './tickets/ticket-parts';
import { webhookBotCommandHandlers, webhookBotJobHandlers, webhookBotProcessManagers, webhookBotQueryHandlers } from './bots/webhook-bot-parts';

/** Every command handler of the application, in one list (CONTRIBUTING.md "Application": a module lists its handlers in one array). */
export const commandHandlers = [
  ReceiveInboundMessageHandler,
  ChangeConversationHandler,
  SendReplyHandler,
  AssignConversationHandler,
  AddCommentHandler,
  BlockSenderHandler,
  UnblockSenderHandler,
  DeleteConversationHandler,
  BulkConversationActionHandler,
  ComposeEmailHandler,
  ForwardConversationHandler,
  SendTranscriptHandler,
  SetupFirstAdminHandler,
  RegisterAgentHandler,
  UpdateAgentHandler,
  RemoveAgentHandler,
  SetAvailabilityHandler,
  SetPreferencesHandler,
  EndSessionHandler,
  EnsureDefaultInboxHandler,
  CreateInboxHandler,
  UpdateInboxHandler,
  SetInboxMembersHandler,
  ...inboxRoutingCommandHandlers,
  CreateCustomViewHandler,
  UpdateCustomViewHandler,
  DeleteCustomViewHandler,
  ConnectChannelHandler,
  ChangeChannelConnectionHandler,
  DisconnectChannelHandler,
  MarkNotificationsReadHandler,
  SetNotificationSettingsHandler,
  ...botCommandHandlers,
  ...webhookBotCommandHandlers,
  ...contactCommandHandlers,
  ...ticketCommandHandlers,
  EraseContactHandler,
];

export const queryHandlers = [
  ListViewsHandler,
  ListViewConversationsHandler,
  GetConversationHandler,
  GetReplyOptionsHandler,
  ListAgentDirectoryHandler,
  ListAgentsHandler,
  GetAgentHandler,
  GetSessionAgentHandler,
  AuthenticateHandler,
  CountAgentsHandler,
  ListInboxesHandler,
  ...inboxRoutingQueryHandlers,
  ListBlockedSendersHandler,
  SearchConversationsHandler,
  ListCustomViewsHandler,
  ListCustomViewConversationsHandler,
  ListChannelConnectionsHandler,
  GetConversationHistoryHandler,
  GetConversationAtHandler,
  VerifyConversationHandler,
  ListNotificationsHandler,
  GetNotificationSettingsHandler,
  ...botQueryHandlers,
  GetAgentReportHandler,
  ...webhookBotQueryHandlers,
  ...contactQueryHandlers,
  ...ticketQueryHandlers,
  ExportContactHandler,
];

export const processManagers = [
  UnassignConversationsWhenAgentRemoved,
  UnassignWhenAssignedToRemovedAgent,
  ReleaseAgentEmailWhenAgentRemoved,
  BlockSenderWhenConversationFiltered,
  UnfilterConversationsWhenSenderUnblocked,
  DeleteStreamWhenConversationDeleted,
  ScheduleTrashPurge,
  DeliverReplies,
  NotifyChannelWhenConversationDeletedForever,
  SendTranscriptWhenChatClosed,
  RemoveReplyFilesWhenConversationDeletedForever,
  NotifyAgents,
  AutoAssignConversations,
  ...botProcessManagers,
  ...webhookBotProcessManagers,
  FlowBotRuns,
  ...contactProcessManagers,
  ...ticketProcessManagers,
];

/** Application services that are neither handlers nor process managers (injected into handlers). */
export const applicationServices = [...contactServices, ...ticketServices, RecentOwners];

/** Job types the application handles (registered with the job queue at start-up). */
export const jobHandlers = [
  PurgeConversationJob,
  SweepTrashJob,
  DeliverReplyJob,
  NotifyChannelOfDeletedConversationJob,
  SendNotificationEmailJob,
  ...botJobHandlers,
  ...webhookBotJobHandlers,
];

/** The domain's public surface: vocabulary, events, commands and the deciders that apply the inbox rules. */
export * from './shared/actor';
export * from './shared/address';
export * from './shared/decider';
export * from './shared/domain-error';
export * from './shared/types';

export * from './conversation/conversation.events';
export * from './conversation/conversation.commands';
export * from './conversation/conversation.state';
export { conversationDecider, decideConversation, replySubject, TICKET_NAME_MAX_LENGTH } from './conversation/conversation.decider';

export * from './sender-policy/sender-policy.events';
export * from './sender-policy/sender-policy.decider';

export * from './agent/agent.events';
export * from './agent/agent.decider';

export * from './inbox/inbox.events';
export * from './inbox/inbox.decider';

import type { Assignee, AttachmentRef, Channel, Party } from '../shared/types';

/**
 * Everything that can happen to a conversation, past tense, data only. The actor and the
 * wall-clock time of recording travel in metadata; times that the rules reason about
 * (a message's receivedAt, trashedAt) are part of the data.
 *
 * Event types are versioned by name: a changed shape gets a new name (`MessageReceivedV2`),
 * never a silent edit, because stored events are never rewritten. The one change that keeps a
 * name is a new optional field that the events stored before it simply lack, read as absent
 * (MessageReceived.postedBy, ReplyQueued.attachments): every stored event still has the shape.
 */
export type ConversationEvent =
  | ConversationStarted
  | MessageReceived
  | ReplyQueued
  | ConversationForwarded
  | TranscriptSent
  | ReplyDelivered
  | ReplyDeliveryFailed
  | ConversationAssigned
  | ConversationUnassigned
  | ConversationClosed
  | ConversationReopened
  | CommentAdded
  | ConversationMarkedAsSpam
  | ConversationMarkedAsNotSpam
  | ConversationFiltered
  | ConversationUnfiltered
  | ConversationTrashed
  | ConversationRestored
  | ConversationDeleted
  | TicketCreated
  | TicketClosed
  | TicketDeleted
  | ContactUnlinked
  | ContactLinked
  | ContactEmailProvided
  | PersonalDataErased
  | BotHandoffRequested
  | BotFlowAdvanced
  | ReplyStatusReported
  | ReactionReceived;

export type ConversationEventType = ConversationEvent['type'];

export interface ContactRef {
  id: string;
  address: string;
  name?: string;
}

/** First event of every conversation stream. */
export interface ConversationStarted {
  type: 'ConversationStarted';
  data: {
    conversationId: string;
    inboxId: string;
    channel: Channel;
    /** inbound: the contact wrote first; outbound: an agent composed the first message. */
    origin: 'inbound' | 'outbound';
    /** The channel's own thread key (email root Message-ID, chat session, phone number…). */
    externalThreadId: string;
    contact: ContactRef;
    subject: string;
    startedAt: string;
  };
}

export interface MessageReceived {
  type: 'MessageReceived';
  data: {
    messageId: string;
    /** Idempotency key given by the channel: the same value is never stored twice in a thread. */
    externalMessageId: string;
    from: Party;
    to: Party[];
    subject: string;
    text: string;
    html?: string;
    attachments: AttachmentRef[];
    receivedAt: string;
    /**
     * The agent whose session handed the message in (API channel), so an auditor can tell a
     * message a contact sent through a channel from one an integration posted in their name.
     */
    postedBy?: string;
    /**
     * The contact's language as their channel knew it (a chat visitor's browser: `nl`, `en`).
     * Added later as an optional field, as postedBy was.
     */
    language?: string;
    /** The contact picked one of the buttons a reply offered (ReplyQueued.choices): its id. Optional, added later. */
    choiceId?: string;
    /**
     * Structured facts that came with the message, shown under it: a support form's custom fields,
     * a shared location, a shared contact card. Optional, added later.
     */
    fields?: MessageField[];
    /** The message's Cc recipients (email): they take part in the thread (participants, reply-all). Optional, added later. */
    cc?: Party[];
    /**
     * The To recipients other than the inbox itself (email), recorded apart because `to` also holds
     * the inbox's own address, which the read models cannot tell from the others: these take part
     * in the thread as the Cc'd do (participants, reply-all). Sender left out. Optional, added later.
     */
    toOthers?: Party[];
  };
}

/**
 * One structured fact of a message: `label` in the channel's words by language (`en` always; a
 * form's own label is the admin's words, given as `en`), the value as text, and a link when the
 * fact has one (a location's map).
 */
export interface MessageField {
  key: string;
  label: { en: string } & Record<string, string>;
  value: string;
  url?: string;
}

/** A reply sent with one of the channel's approved templates (WhatsApp outside its 24-hour window). */
export interface ReplyTemplate {
  name: string;
  language: string;
  /** The values of the template's body parameters, {{1}} first. */
  parameters: string[];
}

/** An agent's reply (or the first message of an outbound conversation), waiting for delivery. */
export interface ReplyQueued {
  type: 'ReplyQueued';
  data: {
    messageId: string;
    authorId: string;
    channel: Channel;
    to: Party[];
    subject: string;
    text: string;
    html?: string;
    queuedAt: string;
    /**
     * Files sent with the reply. Added later as an optional field, as postedBy was to
     * MessageReceived: replies stored before it simply have none, so the shape of every stored
     * event still holds and no new event name is needed.
     */
    attachments?: AttachmentRef[];
    /**
     * Buttons offered with the message (a bot's question): the contact answers by choosing one.
     * Optional, added later: replies stored before it have none.
     */
    choices?: ReplyChoice[];
    /**
     * The reply is one of the channel's approved templates (`text` holds it as the contact reads it,
     * parameters filled in). Optional, added later.
     */
    template?: ReplyTemplate;
    /** Reply-all's Cc recipients (email). Optional, added later. */
    cc?: Party[];
  };
}

/** A button offered with a reply; the contact's choice comes back as a message with `choiceId`. */
export interface ReplyChoice {
  id: string;
  label: string;
}

/**
 * The conversation was forwarded outside the company (rule 13): an email to `to` with the agent's
 * note and the thread. Not a reply (the contact still awaits one); delivered like one, and
 * ReplyDelivered / ReplyDeliveryFailed with its messageId record how that went.
 */
export interface ConversationForwarded {
  type: 'ConversationForwarded';
  data: {
    messageId: string;
    authorId: string;
    channel: Channel;
    to: Party[];
    note?: string;
    subject: string;
    text: string;
    html?: string;
    forwardedAt: string;
  };
}

/**
 * A chat's transcript was emailed (rule 12): to the visitor when the chat closed (`closed`, sent by
 * the system), or a copy to an address an agent entered (`requested`). The data holds exactly what
 * left (both sides of the conversation with times, never internal comments); delivered like a reply
 * on the email channel, with ReplyDelivered / ReplyDeliveryFailed recording how that went.
 */
export interface TranscriptSent {
  type: 'TranscriptSent';
  data: {
    messageId: string;
    /** The agent who asked for the copy; absent for the automatic one on close. */
    authorId?: string;
    channel: Channel;
    to: Party[];
    reason: 'closed' | 'requested';
    subject: string;
    text: string;
    html?: string;
    sentAt: string;
  };
}

export interface ReplyDelivered {
  type: 'ReplyDelivered';
  data: { messageId: string; externalMessageId?: string; deliveredAt: string };
}

export interface ReplyDeliveryFailed {
  type: 'ReplyDeliveryFailed';
  data: { messageId: string; reason: string; retryable: boolean; attempt: number; failedAt: string };
}

/**
 * How an assignment came about, when not by hand (optional, added later; absent = by hand):
 * `round-robin` / `balanced` — auto-assignment of the inbox handed it out; `inbox-bot` — the
 * inbox's active bot took a new conversation at its start (rule 9 applies to those only).
 */
export type AssignedVia = 'round-robin' | 'balanced' | 'inbox-bot';

export interface ConversationAssigned {
  type: 'ConversationAssigned';
  data: { assignee: Exclude<Assignee, null>; previous: Assignee; via?: AssignedVia };
}

export interface ConversationUnassigned {
  type: 'ConversationUnassigned';
  /** `bot-handoff`: the visitor asked for a team member; the conversation waits for an agent. */
  data: { previous: Exclude<Assignee, null>; reason: 'manual' | 'agent-removed' | 'bot-handoff' };
}

export interface ConversationClosed {
  type: 'ConversationClosed';
  data: { closedAt: string };
}

export interface ConversationReopened {
  type: 'ConversationReopened';
  data: { reason: 'agent' | 'inbound-message'; reopenedAt: string };
}

export interface CommentAdded {
  type: 'CommentAdded';
  data: {
    commentId: string;
    authorId: string;
    text: string;
    /** Agent ids that were @mentioned and are to be notified. */
    mentions: string[];
    at: string;
  };
}

export interface ConversationMarkedAsSpam {
  type: 'ConversationMarkedAsSpam';
  /** `channel`: the channel judged the message spam as it arrived (a support form's filled honeypot). */
  data: { reason: 'agent' | 'role-address' | 'channel' };
}

export interface ConversationMarkedAsNotSpam {
  type: 'ConversationMarkedAsNotSpam';
  data: Record<string, never>;
}

/** The sender is blocked: the conversation moves to Filtered. */
export interface ConversationFiltered {
  type: 'ConversationFiltered';
  data: { address: string; reason: 'sender-blocked' };
}

/** The sender was unblocked: the conversation comes back to the inbox. */
export interface ConversationUnfiltered {
  type: 'ConversationUnfiltered';
  data: { address: string };
}

export interface ConversationTrashed {
  type: 'ConversationTrashed';
  data: { trashedAt: string; purgeAfter: string };
}

export interface ConversationRestored {
  type: 'ConversationRestored';
  data: { reason: 'agent' | 'inbound-message' };
}

/** Delete forever. The stream itself is deleted right after this event is projected. */
export interface ConversationDeleted {
  type: 'ConversationDeleted';
  data: { reason: 'agent' | 'trash-retention' };
}

export interface TicketCreated {
  type: 'TicketCreated';
  data: { ticketId: string; name: string };
}

export interface TicketClosed {
  type: 'TicketClosed';
  data: { ticketId: string };
}

export interface TicketDeleted {
  type: 'TicketDeleted';
  data: { ticketId: string; reason: 'sender-blocked' | 'conversation-deleted' };
}

export interface ContactUnlinked {
  type: 'ContactUnlinked';
  data: { contactId: string };
}

/**
 * The conversation now belongs to the contact `contactId` (an agent linked it to another contact,
 * or linked one again after an unlink). Replies still go to `address`, the thread's sender.
 */
export interface ContactLinked {
  type: 'ContactLinked';
  data: { contactId: string; address: string; name?: string };
}

/**
 * A privacy request erased the contact `contactId` (ContactErased): this conversation's key was
 * destroyed with it, so the sealed personal data of its events is unreadable from here on and the
 * read models keep nothing personal of it. The events, their actors, times and hashes stay.
 */
export interface PersonalDataErased {
  type: 'PersonalDataErased';
  data: { contactId: string; at: string };
}

/**
 * Rule 12: the contact of a conversation whose address is not an email address (a chat visitor)
 * wrote from an email address, so the conversation can be answered by email, to `address`.
 */
export interface ContactEmailProvided {
  type: 'ContactEmailProvided';
  data: { address: string };
}

/** The visitor reached the bot's "send to team member" action (rule 9). */
export interface BotHandoffRequested {
  type: 'BotHandoffRequested';
  data: { at: string };
}

/** The inbox's flow bot moved to a step of its flow (what it asked, what it waits for). */
export interface BotFlowAdvanced {
  type: 'BotFlowAdvanced';
  data: { botId: string; stepId: string; at: string };
}

/**
 * What became of a reply after its channel took it (ReplyDelivered), as the channel reported it:
 * Meta's delivery and read receipts, or a failure to reach the contact with the channel's reason.
 * Receipts arrive out of order and more than once; only one that moves the reply forward is
 * recorded (failed < delivered < read): a read reply never goes back to delivered, and a failure
 * reported after the reply was delivered or read is not recorded.
 */
export interface ReplyStatusReported {
  type: 'ReplyStatusReported';
  data: { messageId: string; status: ReplyReceipt; reason?: string; at: string };
}

export type ReplyReceipt = 'failed' | 'delivered' | 'read';

/**
 * The contact reacted to a message of the conversation (a WhatsApp or Messenger reaction): to one
 * of theirs or to a reply. An empty `emoji` takes their reaction away. One reaction per contact per
 * message: a new one replaces the old.
 */
export interface ReactionReceived {
  type: 'ReactionReceived';
  data: {
    /** The reaction's own id on the channel: the same reaction is never recorded twice. */
    externalMessageId: string;
    /** The message reacted to (Parley's id). */
    messageId: string;
    from: Party;
    emoji: string;
    receivedAt: string;
  };
}

/**
 * A bot of an inbox. It answers new conversations of the inbox's chosen channels before any agent
 * does (they start assigned to it, the Bots view) until the visitor asks for a person (handoff).
 *
 * - `flow`: Parley runs a rule-based flow edited in Inbox settings (greeting, questions with
 *   buttons, collect the visitor's email, send to team member).
 * - `webhook`: Parley POSTs the conversation's events, signed with HMAC-SHA256, to the bot's URL;
 *   the bot answers through the API with its own token.
 *
 * Secrets never reach the log in plain text: the webhook signing secret is ciphertext
 * (encrypted by the application with the instance key, as channel connection secrets are) and the
 * API token is kept only as its SHA-256 hash.
 */
export type BotEvent = BotCreated | BotChanged | BotActivated | BotDeactivated | BotTokenIssued | BotRemoved;

export const BOT_KINDS = ['flow', 'webhook'] as const;
export type BotKind = (typeof BOT_KINDS)[number];

export interface BotFlowChoice {
  id: string;
  label: string;
  /** The step the choice leads to. */
  next: string;
}

/**
 * One step of a flow. `message` says its text and goes on to `next` at once; `question` says its
 * text with buttons and waits for a choice; `collect-email` asks and waits for an email address
 * (asking again when the answer is not one); `handoff` says its text (if any) and sends the
 * conversation to the team (rule 9's "send to team member").
 */
export type BotFlowStep =
  | { id: string; type: 'message'; text: string; next?: string }
  | { id: string; type: 'question'; text: string; choices: BotFlowChoice[] }
  | { id: string; type: 'collect-email'; text: string; next?: string }
  | { id: string; type: 'handoff'; text?: string };

export interface BotFlow {
  /** The greeting: the step a new conversation starts at. */
  startStepId: string;
  steps: BotFlowStep[];
}

export interface BotCreated {
  type: 'BotCreated';
  data: {
    botId: string;
    inboxId: string;
    name: string;
    kind: BotKind;
    /** The channels whose new conversations the bot takes; empty: chat only. */
    channels: string[];
    flow: BotFlow | null;
    /** Webhook bots: where events are POSTed. */
    webhookUrl: string | null;
    /** Webhook bots: the HMAC-SHA256 signing secret, encrypted (`v1:…`). */
    webhookSecret: string | null;
  };
}

/** Only what changed is present. */
export interface BotChanged {
  type: 'BotChanged';
  data: { name?: string; channels?: string[]; flow?: BotFlow | null; webhookUrl?: string | null; webhookSecret?: string | null };
}

/** The bot takes new conversations of its inbox from now on (one active bot per inbox). */
export interface BotActivated {
  type: 'BotActivated';
  data: Record<string, never>;
}

export interface BotDeactivated {
  type: 'BotDeactivated';
  data: Record<string, never>;
}

/** A new API token for the bot; the previous one stops working. Only its SHA-256 hash is kept. */
export interface BotTokenIssued {
  type: 'BotTokenIssued';
  data: { tokenHash: string; issuedAt: string };
}

export interface BotRemoved {
  type: 'BotRemoved';
  data: { botId: string };
}

export type BotCommand = CreateBot | ChangeBot | ActivateBot | DeactivateBot | IssueBotToken | RemoveBot;

export interface CreateBot {
  type: 'CreateBot';
  data: BotCreated['data'];
}

export interface ChangeBot {
  type: 'ChangeBot';
  data: BotChanged['data'];
}

export interface ActivateBot {
  type: 'ActivateBot';
  data: Record<string, never>;
}

export interface DeactivateBot {
  type: 'DeactivateBot';
  data: Record<string, never>;
}

export interface IssueBotToken {
  type: 'IssueBotToken';
  data: { tokenHash: string; now: string };
}

export interface RemoveBot {
  type: 'RemoveBot';
  data: Record<string, never>;
}

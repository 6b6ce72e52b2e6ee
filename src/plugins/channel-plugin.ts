/**
 * Parley's public channel plugin interface: everything a channel (email, chat, a custom webhook…)
 * may use, and everything the host expects from it. Built-in channels (src/plugins/<id>/) are
 * written against exactly this file; third-party channels are npm packages that export a
 * ChannelPlugin (see examples/parley-plugin-signed-webhook and README "Write a channel plugin").
 *
 * The shape of the contract (Backstage's EntityProvider.connect(connection)):
 *
 *   1. The host loads the plugin (built-ins first, then PARLEY_PLUGINS=pkg-a,pkg-b in order) and
 *      checks its shape: a bad plugin stops start-up with an error naming the package.
 *   2. The host calls `connect(connection)` once, before the HTTP server listens. The plugin keeps
 *      the connection and declares what it needs through it: routes, listeners, job handlers.
 *   3. Inbound: the plugin turns what arrives (a webhook, an SMTP session) into an InboundMessage
 *      and calls `connection.ingest(message)`. The core decides; the plugin never touches the
 *      event store or read models.
 *   4. Outbound: when an agent replies on the plugin's channel, the host's delivery job calls
 *      `send(outbound)` and records the result on the conversation (retrying retryable failures
 *      with backoff).
 *   5. On shutdown the host stops the plugin's listeners, then calls `disconnect()`.
 *
 * Conformance: every plugin runs `channelPluginConformance` (src/plugins/testing/conformance.ts)
 * against a fake host connection.
 */
import { CHANNEL_ID_PATTERN, type AttachmentRef, type Channel } from '../domain/shared/types';
import type { InboundMessage, IngestResult, TeamStatus } from '../application/ports/channel.port';
import type { DeliveryResult, OutboundMessage } from '../application/ports/channel-delivery.port';

export type { AttachmentRef, Channel, KnownChannel, Party } from '../domain/shared/types';
export type { InboundFile, InboundMessage, IngestResult, MessageField, TeamStatus } from '../application/ports/channel.port';
export type { DeliveryResult, OutboundMessage, ReplyTemplate } from '../application/ports/channel-delivery.port';

/** A plugin id: lower-case letters, digits and dashes, starting with a letter (`signed-webhook`). */
export const PLUGIN_ID_PATTERN = CHANNEL_ID_PATTERN;

/**
 * What a channel can do. The host and the UI honour these: a channel without `reply` is never
 * asked to send (and must not have `send`), one without `html` gets text only, and the agent's
 * reply box offers "switch to email" only where `switchToEmail` is declared.
 */
export interface ChannelCapabilities {
  /** Agents can answer the contact on this channel: the plugin implements `send`. */
  reply: boolean;
  /** `send` accepts `html` as well as `text`. */
  html: boolean;
  /** Inbound messages may carry attachments; outbound ones may too. */
  attachments: boolean;
  /** A chat transcript can be emailed when the conversation ends (rule 12). */
  transcript: boolean;
  /** Its conversations can be answered by email instead (rule 12: chat, Messenger). */
  switchToEmail: boolean;
  /** Its conversations can be forwarded outside the company (rule 13: email). */
  forward: boolean;
  /** Agents can start new outbound conversations on it (rule 13: email). */
  compose: boolean;
  /**
   * It shows buttons offered with a message (OutboundMessage.choices) and hands the contact's pick
   * back as InboundMessage.choiceId: a flow bot's questions use them. Optional (absent: false), so
   * plugins written before it still compile.
   */
  choices?: boolean;
  /**
   * Agents may answer with one of the channel's approved templates (ChannelPlugin.templates): the
   * only thing WhatsApp lets a business send outside its 24-hour window. Optional (absent: false).
   */
  templates?: boolean;
  /**
   * Its messages are addressed to several people (email's To and Cc): the plugin hands inbound Cc
   * recipients over as InboundMessage.cc, and sends OutboundMessage.to (all of it) and
   * OutboundMessage.cc. The reply box offers Reply all and the To and Cc fields only where this is
   * declared, and the API refuses `to`/`cc` on a reply for any other channel. Optional (absent: false).
   */
  cc?: boolean;
}

export interface ChannelPlugin {
  /** Unique, matches PLUGIN_ID_PATTERN. Names its routes (/channels/<id>/…), settings and jobs. */
  readonly id: string;
  /** Shown to agents ("Signed webhook"). */
  readonly displayName: string;
  /** An inline SVG document (`<svg …>…</svg>`), shown beside the channel's conversations. */
  readonly icon: string;
  /**
   * The conversation channel this plugin feeds and sends on. Built-ins use the known channels
   * (`email`, `chat`, `messenger`, `whatsapp`, `forms`, `api`), which have their own views;
   * a third-party plugin uses its own id (`signed-webhook`): its conversations appear in
   * Unassigned, All open, search and so on, filtered by that channel name. One plugin per channel.
   */
  readonly channel: Channel;
  readonly capabilities: ChannelCapabilities;
  /**
   * Present when admins connect this channel to inboxes in Inbox settings (chat, Messenger,
   * WhatsApp, forms): the host stores the connections (event-sourced, secrets encrypted) and hands
   * them to the plugin through `connection.connections`. Absent: the channel needs no per-inbox setup.
   */
  readonly connectionSettings?: ConnectionSettingsSpec;
  /**
   * Called once at start-up, before the HTTP server listens and before anything is ingested.
   * Mount routes, declare listeners and register job handlers here; keep `connection` for later.
   * Throwing (missing setting, bad configuration) stops start-up with the plugin's id in the error.
   */
  connect(connection: ChannelHostConnection): Promise<void> | void;
  /**
   * Delivers one outbound message. Required exactly when `capabilities.reply` is true. Answer
   * a DeliveryResult rather than throwing; classify failures honestly: retryable ones are tried
   * again with backoff (about 8 tries over an hour), permanent ones are shown to the agent at once.
   * May be called again for the same `messageId` (a crash between sending and recording): use
   * `messageId` as your transport's idempotency key.
   */
  send?(outbound: OutboundMessage): Promise<DeliveryResult>;
  /**
   * For channels whose provider limits when a business may write (Meta's 24-hour window): whether
   * a free-form reply may go out now. The host asks before it records an agent's reply (a closed
   * window refuses it with `reason`, in the agent's language, before anything is sent) and the
   * reply box asks to offer templates instead. Absent: replies are always allowed.
   */
  replyWindow?(conversation: PluginConversation, now: Date): ReplyWindow | Promise<ReplyWindow>;
  /**
   * The approved templates agents may send on this conversation (`capabilities.templates`), with
   * their parameters; the host checks a template reply against them and fills the body in for the
   * thread. Answer what the provider approved as last synced; an empty list when there are none.
   */
  templates?(conversation: PluginConversation): Promise<MessageTemplate[]>;
  /**
   * Where agents download an attachment this plugin keeps itself (email keeps its own files): a
   * path on Parley, served by one of the plugin's authenticated routes. Absent: the attachments of
   * this channel's messages are the host's (InboundMessage.files and reply uploads).
   */
  attachmentUrl?(conversationId: string, attachment: AttachmentRef): string;
  /** Called on shutdown, after its listeners stopped and the HTTP server closed. Release what connect acquired. */
  disconnect?(): Promise<void> | void;
}

/** The narrow connection the host hands a plugin in `connect`. Everything a plugin may touch. */
export interface ChannelHostConnection {
  /**
   * Hands one inbound message to the core. Idempotent by (`channel`, `externalThreadId`,
   * `externalMessageId`): the same message again answers `duplicate: true` and stores nothing,
   * so a redelivered webhook can simply be ingested again. Rejects (an error with a `statusCode`
   * of 400/403/404) when the message is invalid, the inbox does not exist or, with
   * `onBehalfOf`, the agent has no access to it.
   * `message.channel` must be this plugin's `channel`.
   */
  ingest(message: InboundMessage, options?: IngestOptions): Promise<IngestResult>;
  /** HTTP routes for webhooks and integrations. Declare them in `connect`. */
  readonly routes: ChannelRoutes;
  /**
   * A long-running listener (an SMTP server, a websocket client, a polling loop). The host starts
   * it once the inbox is ready (projections caught up) and stops it on shutdown, before
   * `disconnect`. Declare it in `connect`.
   */
  listen(listener: ChannelListener): void;
  /** This plugin's settings. */
  readonly config: PluginConfig;
  /**
   * Outbound HTTP(S): how a plugin calls out (its webhook, a provider's API). Use it rather than
   * fetch: the host refuses loopback, private, link-local, multicast and reserved targets (also
   * when a name resolves there or a redirect leads there; loopback and private ones are allowed
   * when the operator sets PARLEY_ALLOW_PRIVATE_NETWORK=true) and bounds time and response size.
   */
  readonly http: PluginHttp;
  /** A pino logger tagged `{ plugin: <id> }`; passwords, tokens, secrets and signatures are redacted. */
  readonly logger: PluginLogger;
  /** Durable background jobs, namespaced to this plugin. */
  readonly jobs: PluginJobs;
  /** The conversations of this plugin's channel, as far as the plugin needs them (access, deletion). */
  readonly conversations: PluginConversations;
  /** Prometheus series of its own (sessions, polls, API errors), served with Parley's at GET /metrics. */
  readonly metrics: PluginMetrics;
  /** The inboxes this plugin is connected to (`connectionSettings`); empty lists for a plugin without them. */
  readonly connections: PluginConnections;
  /**
   * A small document store private to this plugin (thread indexes, visitor sessions), backed by
   * Parley's read store (the embedded SQLite file, or MongoDB with READ_STORE=mongodb), so every
   * instance of Parley sees the same state.
   */
  readonly storage: PluginStorage;
  /** Live, in-process: agents' activity on this channel's conversations (typing, seen) and whether an inbox has an agent available. */
  readonly activity: PluginActivity;
  /**
   * True when this Parley is the only instance on its storage (the embedded default): nothing
   * happens to the plugin's conversations that this instance does not see, so there is no need
   * to watch for what another instance did (as the chat plugin polls for replies sent elsewhere).
   */
  readonly soleInstance: boolean;
}

/** Whether a free-form reply may go out now (ChannelPlugin.replyWindow). */
export type ReplyWindow =
  /** `closesAt`: when it closes unless the contact writes again; null when it does not close. */
  | { open: true; closesAt: string | null }
  /**
   * `reason`: why not and what the agent can do instead, by language ("WhatsApp allows only
   * approved templates more than 24 hours after the customer's last message").
   */
  | { open: false; closedAt: string; reason: LocalizedText };

/** One approved message template (WhatsApp), as an agent picks it. */
export interface MessageTemplate {
  name: string;
  /** The provider's language code (`en_US`, `nl`). */
  language: string;
  /** The provider's category (`UTILITY`, `MARKETING`, `AUTHENTICATION`). */
  category: string;
  /** The body with its numbered parameters: `Hello {{1}}, your order {{2}} has shipped.` */
  body: string;
  /** How many parameters the body takes ({{1}} … {{n}}). */
  parameterCount: number;
}

// ---------------------------------------------------------------------------------------------
// Channel connections per inbox

/**
 * How a plugin's per-inbox connections are configured. Settings are a JSON object; the plugin
 * checks them itself and names the field that is wrong.
 */
export interface ConnectionSettingsSpec {
  /**
   * Keys of settings that are secrets (an app secret, a token, chat's identity-verification secret):
   * encrypted at rest with the instance key, never answered by the API (shown as "••••" with
   * `hasSecret: true`), never logged. The plugin gets them decrypted.
   */
  readonly secrets: readonly string[];
  /**
   * Checks and completes the settings of a new connection (`previous` undefined) or of a change
   * (`previous`: the stored settings, secrets decrypted; `settings`: what the admin sent merged over
   * them, a secret left out keeps its value). Answers the settings to store, defaults filled in (a
   * generated secret, for instance). Throw a ConnectionSettingsError naming the field on bad input.
   */
  validate(settings: Record<string, unknown>, context: ConnectionSettingsContext): Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * The HTML an admin pastes into a website for this connection (chat's one `<script>` tag);
   * answered as `embedSnippet` by the API. `publicUrl` is Parley's own origin as browsers reach it
   * (PARLEY_PUBLIC_URL, or the origin of the admin's request), without a trailing slash.
   */
  embedSnippet?(connection: PluginChannelConnection, context: { publicUrl: string }): string;
  /**
   * The form Inbox settings shows for these settings, in this order. Optional: without it admins
   * set the settings over the API only. Keys not listed keep their values when the form is saved.
   */
  readonly fields?: readonly ConnectionSettingField[];
}

/**
 * One setting in the Inbox settings form. `label` and `help` are the plugin's own words, by
 * language (`en` required; `nl` and others shown to readers of that language).
 */
export interface ConnectionSettingField {
  key: string;
  /**
   * - `text` / `textarea`: a string (one line / several);
   * - `lines`: a list of strings, one per line (empty lines dropped);
   * - `checkbox`: true or false;
   * - `number`: a whole number (left empty: not sent);
   * - `secret`: a password field; the stored value is never shown, and left empty it keeps it.
   */
  type: 'text' | 'textarea' | 'lines' | 'checkbox' | 'number' | 'secret';
  label: LocalizedText;
  help?: LocalizedText;
  /** `secret` only: the form offers a "Generate" button that fills in a random value to copy once. */
  generate?: boolean;
}

/** Text by language: `{ en: 'Greeting', nl: 'Begroeting' }`. */
export type LocalizedText = { readonly en: string } & Readonly<Record<string, string>>;

export interface ConnectionSettingsContext {
  inboxId: string;
  /** The stored settings when an existing connection changes; undefined for a new one. */
  previous?: Record<string, unknown>;
}

/** Bad connection settings: answered as 400 naming `field` (`settings.allowedOrigins[1]`). */
export class ConnectionSettingsError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`settings.${field}: ${message}`);
    this.name = 'ConnectionSettingsError';
  }
}

/** One connection of this plugin's channel to an inbox, as the plugin sees it (secrets decrypted). */
export interface PluginChannelConnection {
  id: string;
  inboxId: string;
  /** The plugin id. */
  type: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface PluginConnections {
  /** Every connection of this plugin, oldest first. */
  list(): Promise<PluginChannelConnection[]>;
  /** One connection of this plugin; null when unknown, removed, or another plugin's. */
  get(connectionId: string): Promise<PluginChannelConnection | null>;
  /**
   * Registers (in `connect`) a handler told after a connection of this plugin was created, changed
   * or removed; on this instance, once the change is stored. Read the connection again with `get`.
   */
  onChange(handler: (change: { type: 'created' | 'changed' | 'removed'; connectionId: string }) => void): void;
}

// ---------------------------------------------------------------------------------------------
// Plugin storage

/**
 * JSON documents by key, private to one plugin. Keys are 1–512 characters; values anything
 * JSON.stringify keeps (at most 1 MiB each). Each call is durable when it resolves.
 */
export interface PluginStorage {
  get<T = unknown>(key: string): Promise<T | null>;
  set(key: string, value: unknown): Promise<void>;
  /** Stores the value only when the key is absent; answers whether it did (a claim, safe across instances). */
  setIfAbsent(key: string, value: unknown): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Documents whose key starts with `prefix`, in key order, after `after` when given; at most `limit` (default and cap 1,000). */
  list<T = unknown>(prefix: string, options?: { after?: string; limit?: number }): Promise<{ key: string; value: T }[]>;
}

// ---------------------------------------------------------------------------------------------
// Live activity

/** What agents do on a conversation of this channel, as it happens (not stored). */
export type AgentActivity =
  /** `authorName`: the typing agent's name, when the host knows it (the widget says "Ada is typing"). */
  | { type: 'typing'; conversationId: string; at: string; authorName?: string }
  /** An agent opened the conversation after the contact's latest message. */
  | { type: 'seen'; conversationId: string; at: string };

export interface PluginActivity {
  /** Registers (in `connect`) a handler for agents' activity on this channel's conversations. */
  onAgentActivity(handler: (activity: AgentActivity) => void): void;
  /** Tells the agents who have the conversation open that the contact is typing. */
  contactTyping(conversationId: string): void;
  /** Whether an agent of the inbox is available now (their Available/Away setting). */
  agentsAvailable(inboxId: string): Promise<boolean>;
  /**
   * Everything a live channel tells its visitors about the team right now: whether an agent is
   * available and online, whether the inbox is within its business hours and, outside them, when
   * it opens again (an ISO time, with the inbox's time zone for showing it), and whether a bot
   * answers first.
   */
  teamStatus(inboxId: string): Promise<TeamStatus>;
}

/**
 * Metric factories. A name is lower snake case (`smtp_sessions_total`); the host serves it as
 * `parley_plugin_<id>_<name>` (dashes of the id as underscores), so plugins cannot collide. Asking
 * again for a name already declared with the same kind and labels answers the same metric. Keep
 * label values few (a status, a direction), never ids or addresses: each value is a series.
 */
export interface PluginMetrics {
  counter(name: string, help: string, options?: { labelNames?: readonly string[] }): PluginCounter;
  gauge(name: string, help: string, options?: { labelNames?: readonly string[] }): PluginGauge;
  /** `buckets` in the unit the name says (`_seconds`, `_bytes`); default Prometheus's latency buckets. */
  histogram(name: string, help: string, options?: { labelNames?: readonly string[]; buckets?: readonly number[] }): PluginHistogram;
}

export type MetricLabels = Record<string, string | number>;

export interface PluginCounter {
  inc(labels?: MetricLabels, by?: number): void;
}

export interface PluginGauge {
  set(value: number, labels?: MetricLabels): void;
  inc(labels?: MetricLabels, by?: number): void;
  dec(labels?: MetricLabels, by?: number): void;
}

export interface PluginHistogram {
  observe(value: number, labels?: MetricLabels): void;
}

/** Lower snake case, like `smtp_sessions_total`. */
export const PLUGIN_METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** The name a plugin's metric is served under: `parley_plugin_<id>_<name>`. */
export function pluginMetricName(pluginId: string, name: string): string {
  return `parley_plugin_${pluginId.replace(/-/g, '_')}_${name}`;
}

/**
 * What a plugin that keeps data of its own for a conversation (files, originals) needs to guard
 * and clean it up. Conversations are named by the `conversationId` that `ingest` answered.
 */
export interface PluginConversations {
  /**
   * Whether `agent` may read the conversation: it exists (it was not deleted forever), it is on
   * this plugin's channel, and the agent has access to its inbox. Check it before serving
   * anything you keep for a conversation; answer a refusal like an unknown id (404).
   */
  canRead(agent: PluginAgent, conversationId: string): Promise<boolean>;
  /**
   * The `id` of every attachment the conversation's messages carry now, each once; null when the
   * conversation does not exist (deleted forever, or never) or is not on this plugin's channel.
   * A delete-forever handler that runs late (a retried job) asks it: a conversation recreated under
   * the same id by a new message holds what it lists again.
   */
  attachmentIds(conversationId: string): Promise<string[] | null>;
  /**
   * Registers a handler (in `connect`) for conversations of this channel deleted forever (by an
   * agent, or the purge after 30 days in Trash). Delete what you keep for it that nothing else
   * references. Durable: the host runs it from the event log as a job, at least once, also after
   * a crash; throwing retries it with backoff, so make it idempotent.
   */
  onDeletedForever(handler: (conversation: DeletedConversation) => Promise<void>): void;
  /** The conversation as the contact may know it; null when it does not exist or is not on this plugin's channel. */
  get(conversationId: string): Promise<PluginConversation | null>;
  /**
   * What the contact may see of the conversation, oldest first: their messages and the agents'
   * replies (queued ones too), never internal comments; null as for `get`.
   */
  messages(conversationId: string): Promise<PluginConversationMessage[] | null>;
  /**
   * Registers (in `connect`) a handler told when a conversation of this channel is closed or reopened
   * (by an agent, a rule, or `close`), on the instance that projects it, at least once.
   */
  onStatusChange(handler: (change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void): void;
  /**
   * Closes the conversation on the channel's behalf (a chat whose visitor left), recorded as closed
   * by the system with the reason; nothing happens when it is already closed, in Trash or gone.
   */
  close(conversationId: string, reason: 'inactivity'): Promise<void>;
  /**
   * The contact asked for a person ("Talk to a person" while a bot answers): recorded as the
   * contact's "send to team member", so the bot lets go and the inbox's routing hands the
   * conversation to an agent (or it waits in Unassigned). Nothing happens when no bot holds it (it
   * was asked before, an agent has it), or the conversation is closed, hidden, gone or another
   * channel's.
   */
  requestHandoff(conversationId: string): Promise<void>;
  /**
   * Records what became of a reply after `send` delivered it (Meta's statuses): delivered to the
   * contact's device, read, or failed after all with the provider's `reason`. Reports arrive out of
   * order and more than once; the host records only one that moves the reply forward (failed <
   * delivered < read), so send each as it comes. Resolves quietly when the conversation or the
   * reply is unknown (a status for a message sent before Parley).
   */
  reportStatus(report: ReplyStatusReport): Promise<void>;
}

/** A channel's receipt for one reply (PluginConversations.reportStatus). */
export interface ReplyStatusReport {
  conversationId: string;
  /** Parley's id of the reply (OutboundMessage.messageId). */
  messageId: string;
  status: 'delivered' | 'read' | 'failed';
  /** When the provider says it happened. */
  at: string;
  /** `failed` only: the provider's reason, shown to agents ("Message undeliverable (131026)"). */
  reason?: string;
}

export interface PluginConversation {
  conversationId: string;
  inboxId: string;
  externalThreadId: string;
  status: 'open' | 'closed';
  /** In Trash, Spam or Filtered (rule 5's blocked senders): the contact is not told. */
  hidden: boolean;
  contact: { address: string; name?: string };
  /** The inbox's bot holds it (answers the contact; the chat offers "Talk to a person"). Absent: not known, taken as false. */
  heldByBot?: boolean;
  /** When the contact last wrote (the start, for a conversation an agent began): Meta's 24-hour window runs from it. */
  lastContactMessageAt: string;
}

export interface PluginConversationMessage {
  messageId: string;
  direction: 'inbound' | 'outbound';
  /** The agent's name on replies; the contact's on their messages. */
  authorName?: string;
  text: string;
  at: string;
  /** Replies only. */
  status?: 'queued' | 'delivered' | 'failed';
  /** A bot's reply: the buttons it offered (a channel with the `choices` capability shows them). */
  choices?: { id: string; label: string }[];
  /** Written by the inbox's bot rather than an agent. */
  bot?: boolean;
  /** The channel it went out on (a chat reply sent by email says `email`). */
  channel: Channel;
}

/** A conversation deleted forever, with what it referenced. */
export interface DeletedConversation {
  conversationId: string;
  inboxId: string;
  externalThreadId: string;
  /** The `id` of every attachment its messages carried (AttachmentRef.id), each once. */
  attachmentIds: string[];
}

export interface IngestOptions {
  /**
   * The agent whose session posted the message (from `request.agent` on an authenticated route):
   * their access to the target inbox is checked and the message records who posted it.
   */
  onBehalfOf?: PluginAgent;
  /** Ties the message to the request that carried it, in logs and event metadata. */
  correlationId?: string;
}

/** The agent of an authenticated request. */
export interface PluginAgent {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
}

export interface ChannelRoutes {
  get(path: string, handler: RouteHandler, options?: RouteOptions): void;
  post(path: string, handler: RouteHandler, options?: RouteOptions): void;
}

/**
 * Where a route lives and who may call it.
 * - `public: true`: mounted at `/channels/<id>/<path>`, no session needed. For webhooks from the
 *   outside world: verify their signature yourself, before ingesting anything.
 * - otherwise: mounted at `/api/channels/<id>/<path>`; the host answers 401 unless the request
 *   carries an agent's session (`Authorization: Bearer <token>` or the UI's cookie), exactly as
 *   for the rest of the API, and hands the handler `request.agent`.
 * `path` is relative (`messages`, `forms/:formId/submissions`); `:name` segments arrive in `params`.
 */
export interface RouteOptions {
  public?: boolean;
  /**
   * Keep the exact request bytes in `request.rawBody` (for signature checks over the body). The
   * body is then also parsed for you when it is JSON (`request.body`, parsed only when first read:
   * check the signature before, and nothing is parsed unsigned), and left undefined otherwise; any
   * content type is accepted.
   */
  rawBody?: boolean;
  /**
   * A page people open in a browser (a support form's hosted page): `get` only, public, mounted at
   * `/<plugin id>/<path>` (`/forms/:formId`) instead of under `/channels/`, and answered with the
   * host's strict page headers (a Content-Security-Policy allowing the page's own origin only).
   */
  page?: boolean;
}

export interface ChannelRequest {
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON (or form fields for `application/x-www-form-urlencoded`); undefined when there is none. */
  body: unknown;
  /** The exact bytes of the body; only with `rawBody: true`. */
  rawBody?: Buffer;
  /** Set on authenticated routes. */
  agent?: PluginAgent;
  /** The client's address (the proxy's view when PARLEY_TRUST_PROXY is set), for rate limits. */
  ip: string;
  /** Aborted when the client goes away (a closed event stream). */
  signal: AbortSignal;
}

export interface ChannelResponse {
  status: number;
  /**
   * Sent as JSON (a string is sent as it is, a Buffer as bytes: set its Content-Type). A Node.js
   * Readable is streamed (server-sent events: end it when `request.signal` aborts).
   */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Answers a request. A thrown error becomes a JSON error response: its `statusCode` when it has
 * one in 400-499 (the errors `ingest` rejects with do), else 500 with a generic message.
 */
export type RouteHandler = (request: ChannelRequest) => Promise<ChannelResponse> | ChannelResponse;

export interface ChannelListener {
  /** For logs and start-up errors ("smtp"). */
  name: string;
  /** Resolves once the listener accepts work; rejecting stops start-up. */
  start(): Promise<void> | void;
  /** Stops taking new work and finishes (bounded) what is in flight. */
  stop(): Promise<void> | void;
}

/**
 * Settings come from the environment: key `OUTBOUND_URL` of plugin `signed-webhook` is the
 * variable `PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL` (the id upper-cased, dashes as
 * underscores; see pluginSettingVariable). Keys are upper snake case. Environment variables are
 * what a container is configured with, and they keep secrets out of files in the image.
 */
export interface PluginConfig {
  /** The setting's value, or undefined when the variable is not set (or empty). */
  get(key: string): string | undefined;
  /** The setting's value; throws an error naming the environment variable when it is missing. */
  require(key: string): string;
  /** The environment variable a key is read from, for your own error messages. */
  variableName(key: string): string;
}

/** Structured logging, pino style: fields first, message second. */
export interface PluginLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Outbound requests through the host's guard (ChannelHostConnection.http). */
export interface PluginHttp {
  /**
   * Sends one request and reads the whole (decoded) answer. Any HTTP status is an answer; it
   * rejects only when there is none, with a PluginHttpError.
   */
  request(url: string, init?: PluginHttpRequestInit): Promise<PluginHttpResponse>;
}

export interface PluginHttpRequestInit {
  /** Default GET. */
  method?: string;
  /** Not Host, Content-Length or Transfer-Encoding: the host sets those. */
  headers?: Record<string, string> | Headers;
  body?: string | Uint8Array;
  /** `follow` (default): up to `maxRedirects` hops, each checked like the first. `manual`: a 3xx is the answer. */
  redirect?: 'follow' | 'manual';
  /** Default 5, at most 20. */
  maxRedirects?: number;
  /** For the whole request, redirects and body included. Default 30 000 ms. */
  timeoutMs?: number;
  /** Until the connection stands (DNS, TCP, TLS). Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** A larger answer is abandoned as it arrives (OUTBOUND_TOO_LARGE). Default 5 MiB, at most 100 MiB. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface PluginHttpResponse {
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Where the answer came from after redirects, without query or credentials. */
  url: string;
}

/**
 * Why `http.request` got no answer. The message names the target by origin only (paths and
 * queries carry tokens), so it can go into a DeliveryResult's reason as it is.
 * - OUTBOUND_REFUSED: the target is not allowed (scheme, credentials in the URL, its address);
 * - OUTBOUND_TIMEOUT, OUTBOUND_NETWORK: worth trying again later (`retryable: true`);
 * - OUTBOUND_TOO_LARGE, OUTBOUND_TOO_MANY_REDIRECTS, OUTBOUND_INVALID_REQUEST, OUTBOUND_ABORTED.
 */
export interface PluginHttpError extends Error {
  code:
    | 'OUTBOUND_INVALID_REQUEST'
    | 'OUTBOUND_REFUSED'
    | 'OUTBOUND_TIMEOUT'
    | 'OUTBOUND_TOO_LARGE'
    | 'OUTBOUND_TOO_MANY_REDIRECTS'
    | 'OUTBOUND_NETWORK'
    | 'OUTBOUND_ABORTED';
  retryable: boolean;
}

/**
 * Durable jobs (the host's queue: embedded SQLite, or Redis with QUEUE=bull), run at least once:
 * handlers must be idempotent. Types and job ids are prefixed with the plugin id by the host,
 * so plugins cannot collide with each other or with the core.
 */
export interface PluginJobs {
  /** One handler per type, registered in `connect`. */
  register(type: string, handler: PluginJobHandler): void;
  /** Enqueues a job; with the same `jobId` again while the queue still holds it, nothing new is stored. */
  schedule(type: string, data: Record<string, unknown>, options?: PluginJobOptions): Promise<{ jobId: string; duplicate: boolean }>;
}

export interface PluginJobOptions {
  /** Deduplication key (see `schedule`). */
  jobId?: string;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Total tries, the first included. Default 3. */
  attempts?: number;
  /** Wait between tries. Default exponential from 1 s. */
  backoff?: { type: 'fixed' | 'exponential'; delayMs: number };
}

/**
 * Runs one job. Throwing retries it with backoff until its attempts are used up; throw an error
 * with `permanent: true` (for instance a PermanentPluginError) to fail it at once.
 */
export type PluginJobHandler = (data: Record<string, unknown>, job: { jobId: string; attempt: number; attempts: number }) => Promise<void>;

/** An error that says "retrying cannot help" to the host's job queue. Any error with `permanent: true` does. */
export class PermanentPluginError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'PermanentPluginError';
  }
}

/** Helpers for writing a plugin's `send`. */
export const delivered = (externalMessageId?: string): DeliveryResult =>
  externalMessageId === undefined ? { status: 'delivered' } : { status: 'delivered', externalMessageId };
export const retryableFailure = (reason: string): DeliveryResult => ({ status: 'failed', retryable: true, reason });
export const permanentFailure = (reason: string): DeliveryResult => ({ status: 'failed', retryable: false, reason });

/** Upper snake case, like `OUTBOUND_URL`. */
export const PLUGIN_SETTING_KEY_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** The environment variable a plugin setting is read from: `PARLEY_PLUGIN_<ID>_<KEY>`. */
export function pluginSettingVariable(pluginId: string, key: string): string {
  return `PARLEY_PLUGIN_${pluginId.toUpperCase().replace(/-/g, '_')}_${key}`;
}

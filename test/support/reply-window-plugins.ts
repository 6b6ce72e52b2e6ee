import type { ChannelPlugin, MessageTemplate, OutboundMessage, PluginConversation, ReplyWindow } from '../../src/plugins/channel-plugin';
import { BUILT_IN_PLUGINS, type BuiltInPluginFactory } from '../../src/plugins/registry/built-in-plugins';

export const HOUR = 60 * 60 * 1000;

/** What the window test channel was asked and sent. */
export interface WindowChannelLog {
  sent: OutboundMessage[];
  windowAsked: { conversation: PluginConversation; now: string }[];
}

export const WINDOW_TEMPLATES: MessageTemplate[] = [
  { name: 'order_update', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}, your order {{2}} has shipped.', parameterCount: 2 },
  { name: 'order_update', language: 'nl', category: 'UTILITY', body: 'Hallo {{1}}, je bestelling {{2}} is verzonden.', parameterCount: 2 },
  { name: 'follow_up', language: 'en_US', category: 'MARKETING', body: 'We are still here for you.', parameterCount: 0 },
];

/**
 * A channel with Meta's rule, written as a plugin would: free-form replies within 24 hours of the
 * contact's last message, approved templates always; it keeps what it sends.
 */
export function windowTestPlugin(log: WindowChannelLog): ChannelPlugin {
  return {
    id: 'window-test',
    displayName: 'Window test',
    icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>',
    channel: 'window-test',
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false, templates: true },
    connect() {},
    async send(outbound) {
      log.sent.push(outbound);
      return { status: 'delivered', externalMessageId: `wt-${outbound.messageId}` };
    },
    replyWindow(conversation, now): ReplyWindow {
      log.windowAsked.push({ conversation, now: now.toISOString() });
      const closes = Date.parse(conversation.lastContactMessageAt) + 24 * HOUR;
      if (now.getTime() < closes) return { open: true, closesAt: new Date(closes).toISOString() };
      return {
        open: false,
        closedAt: new Date(closes).toISOString(),
        reason: {
          en: 'The 24-hour window closed: only approved templates may be sent until the customer writes again',
          nl: 'Het venster van 24 uur is gesloten: alleen goedgekeurde sjablonen mogen worden verstuurd tot de klant weer schrijft',
        },
      };
    },
    async templates() {
      return WINDOW_TEMPLATES;
    },
  };
}

/** A channel that cannot answer by itself and is answered by email (a support form, rule 12). */
export function formsLikePlugin(): ChannelPlugin {
  return {
    id: 'forms-like',
    displayName: 'Forms like',
    icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>',
    channel: 'forms',
    capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: true, forward: false, compose: false },
    connect() {},
  };
}

/** The API and email channels of Parley, without the built-ins that would feed `forms` themselves. */
export function apiAndEmail(): BuiltInPluginFactory[] {
  const picked = BUILT_IN_PLUGINS.filter((factory) => /createEmailPlugin|createApiChannelPlugin/.test(factory.toString()));
  if (picked.length !== 2) throw new Error(`expected the api and email factories among BUILT_IN_PLUGINS, found ${picked.length}`);
  return picked;
}

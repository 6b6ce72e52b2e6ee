import type { Clock } from '../../application/ports/clock.port';
import type { ParleyConfig } from '../../infrastructure/config/config';
import { createApiChannelPlugin } from '../api/api-channel.plugin';
import type { ChannelPlugin } from '../channel-plugin';
import { createChatPlugin } from '../chat/chat-plugin';
import { createEmailPlugin, emailStorageDir } from '../email/email-plugin';
import { createFormsPlugin } from '../forms/forms-plugin';
import { createMessengerPlugin } from '../messenger/messenger-plugin';
import { createWhatsAppPlugin } from '../whatsapp/whatsapp-plugin';

/**
 * What the host gives a built-in plugin's factory: Parley's own settings (a built-in channel is
 * configured by Parley's variables, e.g. SMTP_PORT and SMTP_RELAY_URL for email) and a few
 * narrow lookups. The plugin itself still talks to Parley only through its ChannelHostConnection.
 */
export interface BuiltInPluginContext {
  config: ParleyConfig;
  clock: Clock;
  /** Which inbox takes an address (email routing by recipient); null when no inbox claims it. */
  inboxes: { findByEmailAddress(address: string): Promise<{ id: string } | null> };
}

export type BuiltInPluginFactory = (context: BuiltInPluginContext) => ChannelPlugin;

/**
 * The channels that ship with Parley, registered before the PARLEY_PLUGINS packages and through
 * exactly the same interface. Each entry is a factory: every application gets fresh plugins.
 */
export const BUILT_IN_PLUGINS: readonly BuiltInPluginFactory[] = [
  () => createApiChannelPlugin(),
  // Email: SMTP_PORT (on HOST), SMTP_RELAY_URL, PARLEY_INBOX_EMAIL; originals and the thread index under PARLEY_DATA_DIR.
  ({ config, clock, inboxes }) =>
    createEmailPlugin({
      smtpPort: config.smtpPort,
      smtpHost: config.host,
      relayUrl: config.smtpRelayUrl,
      inboxEmail: config.inboxEmail,
      storageDir: emailStorageDir(config.dataDir),
      inboxes,
      clock: () => clock.now(),
    }),
  // Website live chat: connected per inbox in Inbox settings (docs/chat.md); its clock is Parley's.
  ({ clock }) => createChatPlugin({ now: () => clock.now().getTime() }),
  // Support forms: a form per connection, its hosted page at /forms/:formId (docs/forms.md); its clock is Parley's.
  ({ clock }) => createFormsPlugin({ now: () => clock.now().getTime() }),
  // Facebook Messenger: a page connected per inbox in Inbox settings (docs/messenger.md); its 24-hour window runs on Parley's clock.
  ({ clock }) => createMessengerPlugin({ now: () => clock.now().getTime() }),
  // WhatsApp Cloud API: a business number connected per inbox in Inbox settings (docs/whatsapp.md); its 24-hour window runs on Parley's clock.
  ({ clock }) => createWhatsAppPlugin({ now: () => clock.now().getTime() }),
];

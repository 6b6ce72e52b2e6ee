import { createHash, randomBytes } from 'node:crypto';
import type { BotFlow, BotKind } from '../../domain/bot/bot.events';
import type { SettingsCipher } from '../channel-connections/settings-cipher';
import type { BotRecord } from '../ports/read-store.port';

/** The name the webhook signing secret is encrypted under (bound to the bot's id): the webhook delivery decrypts with the same. */
export const BOT_WEBHOOK_SECRET_KEY = 'webhookSecret';

/** A bot as the API answers it: never its webhook secret nor its token (only whether they are set). */
export interface BotView {
  id: string;
  inboxId: string;
  name: string;
  kind: BotKind;
  channels: string[];
  flow: BotFlow | null;
  webhookUrl: string | null;
  hasWebhookSecret: boolean;
  active: boolean;
  hasToken: boolean;
  createdAt: string;
}

export function toBotView(bot: BotRecord): BotView {
  return {
    id: bot.id,
    inboxId: bot.inboxId,
    name: bot.name,
    kind: bot.kind,
    channels: bot.channels,
    flow: bot.flow,
    webhookUrl: bot.webhookUrl,
    hasWebhookSecret: bot.webhookSecret !== null,
    active: bot.active,
    hasToken: bot.hasToken,
    createdAt: bot.createdAt,
  };
}

/** A new random secret (the webhook signing secret, the bot's API token): 32 random bytes, base64url. */
export function newBotSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** How a bot's API token is kept and looked up: its SHA-256, hex. */
export function botTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function encryptWebhookSecret(cipher: SettingsCipher, botId: string, secret: string): string {
  return cipher.encrypt(botId, BOT_WEBHOOK_SECRET_KEY, secret);
}

/** The plain signing secret, or null when none is stored (a SettingsDecryptionError when it cannot be decrypted). */
export function decryptWebhookSecret(cipher: SettingsCipher, bot: Pick<BotRecord, 'id' | 'webhookSecret'>): string | null {
  return bot.webhookSecret === null ? null : String(cipher.decrypt(bot.id, BOT_WEBHOOK_SECRET_KEY, bot.webhookSecret));
}

/**
 * A flow a new flow bot starts with when none is given: a greeting asking whether the visitor
 * wants a person, and the handoff. In the admin's language (en or nl) when the UI creates it.
 */
export function defaultBotFlow(language: 'en' | 'nl' = 'en'): BotFlow {
  const text =
    language === 'nl'
      ? {
          greeting: 'Hallo! Waarmee kunnen we je helpen?',
          person: 'Met een medewerker praten',
          email: 'Laat je e-mailadres achter',
          askEmail: 'Wat is je e-mailadres? Dan antwoorden we je daar als we niet meer online zijn.',
          handoff: 'Een moment, we verbinden je met iemand van het team.',
        }
      : {
          greeting: 'Hi! How can we help you?',
          person: 'Talk to a person',
          email: 'Leave your email address',
          askEmail: "What is your email address? We'll answer you there if we are not online any more.",
          handoff: 'One moment, we are connecting you with someone from the team.',
        };
  return {
    startStepId: 'greeting',
    steps: [
      {
        id: 'greeting',
        type: 'question',
        text: text.greeting,
        choices: [
          { id: 'person', label: text.person, next: 'handoff' },
          { id: 'email', label: text.email, next: 'ask-email' },
        ],
      },
      { id: 'ask-email', type: 'collect-email', text: text.askEmail, next: 'handoff' },
      { id: 'handoff', type: 'handoff', text: text.handoff },
    ],
  };
}

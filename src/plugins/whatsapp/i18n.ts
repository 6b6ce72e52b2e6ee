import type { LocalizedText } from '../channel-plugin';

/**
 * The WhatsApp channel's own words, in English and Dutch (plugins do not use Parley's locale
 * files): the reason a closed window gives agents, the labels of a shared location or contact,
 * and what a message says when WhatsApp could not give us its content.
 */
export const WHATSAPP_TEXT = {
  windowClosed: {
    en: "More than 24 hours have passed since the customer's last message: WhatsApp only lets you send an approved template.",
    nl: 'Er zijn meer dan 24 uur verstreken sinds het laatste bericht van de klant: WhatsApp laat je alleen nog een goedgekeurd sjabloon sturen.',
  },
  location: { en: 'Location', nl: 'Locatie' },
  contact: { en: 'Contact', nl: 'Contactpersoon' },
  phone: { en: 'Phone', nl: 'Telefoon' },
  email: { en: 'Email', nl: 'E-mail' },
  listButton: { en: 'Choose', nl: 'Kies' },
  chooseAnswer: { en: 'Choose an answer:', nl: 'Kies een antwoord:' },
} satisfies Record<string, LocalizedText>;

/** Texts stored with an inbound message (one language: English, what the thread shows every agent). */
export const INBOUND_NOTES = {
  mediaMissing: (kind: string, reason: string) => `[The ${kind} of this WhatsApp message could not be downloaded: ${reason}]`,
  unsupported: (type: string, detail: string | undefined) =>
    `[WhatsApp could not show this message (type ${JSON.stringify(type)})${detail ? `: ${detail}` : ''}. Ask the customer to send it another way.]`,
  location: (name: string | undefined, address: string | undefined, lat: number, lon: number) =>
    `📍 ${[name, address].filter(Boolean).join(', ') || `${lat}, ${lon}`}`,
  contacts: (names: string[]) => `👤 ${names.join('; ')}`,
};

/** A language Parley speaks from an agent's language (English unless Dutch). */
export function textIn(text: LocalizedText, language: string | undefined): string {
  return (language && text[language]) || text.en;
}

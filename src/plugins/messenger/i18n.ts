import type { LocalizedText } from '../channel-plugin';

/**
 * The Messenger channel's own words, by language (Parley's i18n files are the agents' UI; a plugin
 * carries its own, English and Dutch with the same keys: test/plugins/messenger checks that).
 */
export type MessengerLanguage = 'en' | 'nl';

const en = {
  windowClosed:
    "More than 24 hours have passed since the contact's last message; Messenger lets a page answer only within 24 hours (7 days with the human agent tag). Answer by email if the contact's address is known.",
  windowClosedTagged:
    "More than 7 days have passed since the contact's last message; Messenger lets a page answer only within 24 hours, and within 7 days with the human agent tag. Answer by email if the contact's address is known.",
  location: 'Location',
  link: 'Link',
  attachmentMissing: 'Attachment that could not be fetched',
};

export type MessengerStrings = typeof en;

const nl: MessengerStrings = {
  windowClosed:
    'Er zijn meer dan 24 uur verstreken sinds het laatste bericht van het contact; Messenger laat een pagina alleen binnen 24 uur antwoorden (7 dagen met de tag voor menselijke medewerkers). Antwoord per e-mail als het adres van het contact bekend is.',
  windowClosedTagged:
    'Er zijn meer dan 7 dagen verstreken sinds het laatste bericht van het contact; Messenger laat een pagina alleen binnen 24 uur antwoorden, en binnen 7 dagen met de tag voor menselijke medewerkers. Antwoord per e-mail als het adres van het contact bekend is.',
  location: 'Locatie',
  link: 'Link',
  attachmentMissing: 'Bijlage die niet opgehaald kon worden',
};

export const MESSENGER_STRINGS: Readonly<Record<MessengerLanguage, MessengerStrings>> = { en, nl };

/** One of the strings in every language, as the plugin interface's LocalizedText. */
export function localized(key: keyof MessengerStrings): LocalizedText {
  return { en: en[key], nl: nl[key] };
}

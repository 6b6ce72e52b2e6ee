/**
 * Parley's own words on a support form's hosted page, in the visitor's language: the button, the
 * error messages, "required", the thank-you default. The form's title, intro, labels and thank-you
 * text are the admin's words and are shown as written. English and Dutch, the same keys in both
 * (test/plugins/forms checks that).
 */
import { visitorLanguage } from '../visitor-language';

export type FormsLanguage = 'en' | 'nl';

export const FORMS_LANGUAGES: readonly FormsLanguage[] = ['en', 'nl'];

const en = {
  send: 'Send',
  required: 'required',
  optional: 'optional',
  nameLabel: 'Name',
  emailLabel: 'Email',
  subjectLabel: 'Subject',
  messageLabel: 'Message',
  choose: 'Choose…',
  yes: 'Yes',
  errorSummary: 'Please correct the following:',
  errorRequired: 'Please fill this in.',
  errorEmail: 'Enter an email address like name@example.com.',
  errorNumber: 'Enter a number, like 42 or 3.5.',
  errorDate: 'Enter a date as year-month-day, like 2026-12-31.',
  errorChoice: 'Choose one of the options.',
  errorCheckbox: 'Please tick this box.',
  errorTooLong: 'At most {{max}} characters (this has {{length}}).',
  thanksTitle: 'Thank you',
  thanksDefault: 'We received your message and will answer you by email.',
  sendAnother: 'Send another message',
  notFoundTitle: 'Form not found',
  notFoundText: 'This form does not exist (any more).',
  expiredTitle: 'This form has expired',
  expiredText: 'The page was open too long, or it did not come from this form. Open the form again and send your message once more.',
  openForm: 'Open the form',
  tooManyTitle: 'Too many messages',
  tooManyText: 'You sent too many messages in a short time. Please try again in {{seconds}} seconds.',
  tooLargeTitle: 'Message too large',
  tooLargeText: 'What you sent is larger than {{limit}} KiB. Please shorten it.',
  // Read only by screen readers: the honeypot field that people leave empty.
  honeypotLabel: 'Leave this field empty',
};

export type FormsStrings = typeof en;

const nl: FormsStrings = {
  send: 'Versturen',
  required: 'verplicht',
  optional: 'optioneel',
  nameLabel: 'Naam',
  emailLabel: 'E-mailadres',
  subjectLabel: 'Onderwerp',
  messageLabel: 'Bericht',
  choose: 'Kies…',
  yes: 'Ja',
  errorSummary: 'Verbeter het volgende:',
  errorRequired: 'Vul dit in.',
  errorEmail: 'Vul een e-mailadres in zoals naam@voorbeeld.nl.',
  errorNumber: 'Vul een getal in, zoals 42 of 3.5.',
  errorDate: 'Vul een datum in als jaar-maand-dag, zoals 2026-12-31.',
  errorChoice: 'Kies een van de mogelijkheden.',
  errorCheckbox: 'Vink dit vakje aan.',
  errorTooLong: 'Hoogstens {{max}} tekens (dit zijn er {{length}}).',
  thanksTitle: 'Bedankt',
  thanksDefault: 'We hebben je bericht ontvangen en antwoorden je per e-mail.',
  sendAnother: 'Nog een bericht sturen',
  notFoundTitle: 'Formulier niet gevonden',
  notFoundText: 'Dit formulier bestaat niet (meer).',
  expiredTitle: 'Dit formulier is verlopen',
  expiredText: 'De pagina stond te lang open, of kwam niet van dit formulier. Open het formulier opnieuw en verstuur je bericht nog een keer.',
  openForm: 'Formulier openen',
  tooManyTitle: 'Te veel berichten',
  tooManyText: 'Je hebt in korte tijd te veel berichten verstuurd. Probeer het over {{seconds}} seconden opnieuw.',
  tooLargeTitle: 'Bericht te groot',
  tooLargeText: 'Wat je verstuurde is groter dan {{limit}} KiB. Maak het korter.',
  honeypotLabel: 'Laat dit veld leeg',
};

export const FORMS_STRINGS: Readonly<Record<FormsLanguage, FormsStrings>> = { en, nl };

/** Fills `{{name}}` placeholders. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/**
 * The visitor's language: `?lang` when it names one we have, else the first of Accept-Language's
 * languages we have (by quality, reading its first 20), else English.
 */
export function formsLanguage(lang: unknown, acceptLanguage: unknown): FormsLanguage {
  return visitorLanguage(FORMS_LANGUAGES, 'en', lang, acceptLanguage, 20);
}

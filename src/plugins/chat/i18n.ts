/**
 * The words of the chat frame, in the visitor's language. Plugins do not use Parley's i18n files
 * (those are the agents' UI), so the chat channel carries its own: English and Dutch, the same
 * keys in both (test/plugins/chat checks that).
 */
import { visitorLanguage } from '../visitor-language';

export type ChatLanguage = 'en' | 'nl';

export const CHAT_LANGUAGES: readonly ChatLanguage[] = ['en', 'nl'];

const en = {
  title: 'Chat',
  greeting: 'Hi! How can we help you?',
  messageLabel: 'Message',
  send: 'Send',
  openChat: 'Open chat',
  closeChat: 'Close chat',
  nameLabel: 'Name',
  emailLabel: 'Email',
  startChat: 'Start chat',
  agentTyping: '{{name}} is typing',
  someoneTyping: 'Someone is typing',
  seen: 'Seen',
  replyByEmail: "No one is available right now. Leave your email address and we'll reply by email.",
  // Outside the inbox's business hours; {{when}} is a weekday and time in the inbox's time zone ("Monday 09:00").
  backAt: "We're back {{when}}. Leave your email address and we'll reply by email.",
  closedNow: "We're closed right now. Leave your email address and we'll reply by email.",
  saveEmail: 'Save',
  emailSaved: "Thanks! We'll reply to {{email}}.",
  // Sent into an open chat as the visitor's message when they leave their email address (the agents see it at once).
  emailLeft: 'My email address: {{email}}',
  conversationClosed: 'This conversation was closed. Send a message to start a new one.',
  startNewConversation: 'Start a new conversation',
  errorTooManyMessages: 'You are sending messages too quickly. Please wait a moment.',
  errorTooLong: 'This message is too long.',
  errorOffline: 'You are offline. Reconnecting…',
  errorReconnecting: 'Reconnecting…',
  errorGeneric: 'Something went wrong. Please try again.',
  you: 'You',
  // A flow bot's buttons (the group's label) and the visitor's way to a person while a bot answers.
  choicesLabel: 'Answers to choose from',
  talkToPerson: 'Talk to a person',
  handoffAsked: 'A team member will take over the chat.',
  // The chat frame's own words (widget/frame.js lists the keys it uses; the loader mirrors openChat, closeChat and unreadCount).
  messages: 'Conversation',
  messagePlaceholder: 'Type your message…',
  team: 'Team',
  sending: 'Sending…',
  notSent: 'Not sent.',
  retry: 'Retry',
  prechatIntro: 'Tell us who you are, so we can get back to you.',
  errorEmail: 'Enter a valid email address.',
  errorUnavailable: 'This chat is not available right now.',
  unreadCount: '{{count}} new',
  notFoundTitle: 'Chat not found',
  notFoundText: 'This chat does not exist (any more).',
  refusedTitle: 'Chat not available here',
  refusedText: 'This chat may not be embedded on this website.',
};

export type ChatStrings = typeof en;

const nl: ChatStrings = {
  title: 'Chat',
  greeting: 'Hallo! Waarmee kunnen we je helpen?',
  messageLabel: 'Bericht',
  send: 'Verstuur',
  openChat: 'Chat openen',
  closeChat: 'Chat sluiten',
  nameLabel: 'Naam',
  emailLabel: 'E-mailadres',
  startChat: 'Chat starten',
  agentTyping: '{{name}} typt',
  someoneTyping: 'Er typt iemand',
  seen: 'Gezien',
  replyByEmail: 'Er is nu niemand beschikbaar. Laat je e-mailadres achter, dan antwoorden we per e-mail.',
  backAt: 'We zijn er weer op {{when}}. Laat je e-mailadres achter, dan antwoorden we per e-mail.',
  closedNow: 'We zijn nu gesloten. Laat je e-mailadres achter, dan antwoorden we per e-mail.',
  saveEmail: 'Opslaan',
  emailSaved: 'Bedankt! We antwoorden naar {{email}}.',
  emailLeft: 'Mijn e-mailadres: {{email}}',
  conversationClosed: 'Dit gesprek is gesloten. Stuur een bericht om een nieuw gesprek te beginnen.',
  startNewConversation: 'Nieuw gesprek beginnen',
  errorTooManyMessages: 'Je verstuurt te snel berichten. Wacht even.',
  errorTooLong: 'Dit bericht is te lang.',
  errorOffline: 'Je bent offline. Opnieuw verbinden…',
  errorReconnecting: 'Opnieuw verbinden…',
  errorGeneric: 'Er ging iets mis. Probeer het opnieuw.',
  you: 'Jij',
  choicesLabel: 'Antwoorden om uit te kiezen',
  talkToPerson: 'Praat met een medewerker',
  handoffAsked: 'Een medewerker neemt de chat over.',
  messages: 'Gesprek',
  messagePlaceholder: 'Typ je bericht…',
  team: 'Team',
  sending: 'Versturen…',
  notSent: 'Niet verstuurd.',
  retry: 'Opnieuw proberen',
  prechatIntro: 'Vertel ons wie je bent, zodat we je kunnen antwoorden.',
  errorEmail: 'Vul een geldig e-mailadres in.',
  errorUnavailable: 'Deze chat is nu niet beschikbaar.',
  unreadCount: '{{count}} nieuw',
  notFoundTitle: 'Chat niet gevonden',
  notFoundText: 'Deze chat bestaat niet (meer).',
  refusedTitle: 'Chat hier niet beschikbaar',
  refusedText: 'Deze chat mag niet op deze website worden getoond.',
};

export const CHAT_STRINGS: Readonly<Record<ChatLanguage, ChatStrings>> = { en, nl };

/**
 * The visitor's language: `?lang` when it names one we have, else the first of Accept-Language's
 * languages we have (by quality), else English.
 */
export function chatLanguage(lang: unknown, acceptLanguage: unknown): ChatLanguage {
  return visitorLanguage(CHAT_LANGUAGES, 'en', lang, acceptLanguage);
}

import type { ConversationDetail, MessageView } from '../ports/read-store.port';

/** The languages a forward's own words are written in: the forwarding agent's, else English. */
export type ForwardLanguage = 'en' | 'nl';

/**
 * The words a forward puts around the thread. They go out in an email, not on a page, and the
 * application layer cannot reach the UI's translation files, so the two languages live here.
 */
const WORDS: Record<ForwardLanguage, { separator: string; from: string; date: string; to: string; subject: string; prefix: string }> = {
  en: { separator: '---------- Forwarded conversation ----------', from: 'From', date: 'Date', to: 'To', subject: 'Subject', prefix: 'Fwd' },
  nl: { separator: '---------- Doorgestuurd gesprek ----------', from: 'Van', date: 'Datum', to: 'Aan', subject: 'Onderwerp', prefix: 'Fwd' },
};

/** The forwarding agent's saved language when Parley speaks it, else English. */
export function forwardLanguage(language: string | null | undefined): ForwardLanguage {
  return language === 'nl' ? 'nl' : 'en';
}

/**
 * The email a forward sends: the agent's note, then the thread the way mail clients forward
 * (a separator, then each message with From / Date / To / Subject and its text), oldest first.
 * Internal comments stay internal. Text and HTML carry the same content; the HTML is built from
 * the texts (escaped), never from a message's own HTML.
 */
export function forwardedContent(
  conversation: ConversationDetail,
  note: string | undefined,
  language: ForwardLanguage = 'en',
): { subject: string; text: string; html: string } {
  const words = WORDS[language];
  const subject = /^\s*fwd?\s*:/i.test(conversation.subject) ? conversation.subject : `${words.prefix}: ${conversation.subject}`.trimEnd();
  const messages = conversation.messages;
  const noteText = note?.trim() ?? '';

  const textParts = [
    ...(noteText ? [noteText, ''] : []),
    words.separator,
    `${words.subject}: ${conversation.subject}`,
    '',
    ...messages.flatMap((message) => [...headerLines(message, language), '', message.text.trimEnd(), '']),
  ];
  const htmlParts = [
    ...(noteText ? [`<p>${paragraphs(noteText)}</p>`] : []),
    `<div style="color:#57606a">${escapeHtml(words.separator)}<br>`,
    `${words.subject}: ${escapeHtml(conversation.subject)}</div>`,
    ...messages.map(
      (message) =>
        `<div style="margin-top:16px"><div style="color:#57606a">${headerLines(message, language).map(escapeHtml).join('<br>')}</div>` +
        `<blockquote type="cite" style="margin:8px 0 0;padding-left:12px;border-left:3px solid #d0d7de">${paragraphs(message.text)}</blockquote></div>`,
    ),
  ];
  return { subject, text: `${textParts.join('\n').trimEnd()}\n`, html: htmlParts.join('\n') };
}

function headerLines(message: MessageView, language: ForwardLanguage): string[] {
  const words = WORDS[language];
  return [
    `${words.from}: ${party(message.from)}`,
    `${words.date}: ${dateOf(message.at, language)}`,
    ...(message.to.length > 0 ? [`${words.to}: ${message.to.map(party).join(', ')}`] : []),
    ...(message.subject ? [`${words.subject}: ${message.subject}`] : []),
  ];
}

/** In UTC (the recipient's zone is unknown), named in the forward's language. */
function dateOf(at: string, language: ForwardLanguage): string {
  const date = new Date(at);
  if (language === 'en') return date.toUTCString();
  const formatted = new Intl.DateTimeFormat('nl-NL', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
  return `${formatted} UTC`;
}

function party(p: { address: string; name?: string }): string {
  return p.name ? `${p.name} <${p.address}>` : p.address;
}

function paragraphs(text: string): string {
  return escapeHtml(text.trimEnd()).replace(/\r?\n/g, '<br>');
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

import type { ConversationDetail, MessageView } from '../ports/read-store.port';

/**
 * The email a forward sends: the agent's note, then the thread the way mail clients forward
 * (a separator, then each message with From / Date / To / Subject and its text), oldest first.
 * Internal comments stay internal. Text and HTML carry the same content; the HTML is built from
 * the texts (escaped), never from a message's own HTML.
 */
export function forwardedContent(conversation: ConversationDetail, note: string | undefined): { subject: string; text: string; html: string } {
  const subject = /^\s*fwd?\s*:/i.test(conversation.subject) ? conversation.subject : `Fwd: ${conversation.subject}`.trimEnd();
  const messages = conversation.messages;
  const noteText = note?.trim() ?? '';

  const textParts = [
    ...(noteText ? [noteText, ''] : []),
    '---------- Forwarded conversation ----------',
    `Subject: ${conversation.subject}`,
    '',
    ...messages.flatMap((message) => [...headerLines(message), '', message.text.trimEnd(), '']),
  ];
  const htmlParts = [
    ...(noteText ? [`<p>${paragraphs(noteText)}</p>`] : []),
    '<div style="color:#57606a">---------- Forwarded conversation ----------<br>',
    `Subject: ${escapeHtml(conversation.subject)}</div>`,
    ...messages.map(
      (message) =>
        `<div style="margin-top:16px"><div style="color:#57606a">${headerLines(message).map(escapeHtml).join('<br>')}</div>` +
        `<blockquote type="cite" style="margin:8px 0 0;padding-left:12px;border-left:3px solid #d0d7de">${paragraphs(message.text)}</blockquote></div>`,
    ),
  ];
  return { subject, text: `${textParts.join('\n').trimEnd()}\n`, html: htmlParts.join('\n') };
}

function headerLines(message: MessageView): string[] {
  return [
    `From: ${party(message.from)}`,
    `Date: ${new Date(message.at).toUTCString()}`,
    ...(message.to.length > 0 ? [`To: ${message.to.map(party).join(', ')}`] : []),
    ...(message.subject ? [`Subject: ${message.subject}`] : []),
  ];
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

import type { MessageTemplate, OutboundMessage, ReplyTemplate } from '../channel-plugin';
import { CHOICE_PREFIX } from './inbound';

/** A file an agent attached to a reply. */
export type OutboundAttachment = NonNullable<OutboundMessage['attachments']>[number];

/** WhatsApp's limits on what a business sends (Cloud API "Send messages"). */
export const MAX_TEXT = 4096;
export const MAX_INTERACTIVE_BODY = 1024;
export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;
export const MAX_LIST_ROWS = 10;
export const MAX_ROW_TITLE = 24;

/** One part of a reply: a JSON message, or a file to upload first and then send by its media id. */
export type OutboundPart = { kind: 'json'; body: Record<string, unknown> } | { kind: 'media'; attachment: OutboundAttachment };

const envelope = (to: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to });

/** Text cut into pieces WhatsApp accepts, at a line or word break where one is near. */
export function splitText(text: string, max = MAX_TEXT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Never split a surrogate pair (an emoji) in two.
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^[ \n]/, '');
  }
  if (rest.trim() !== '' || parts.length === 0) parts.push(rest);
  return parts;
}

export const textMessage = (to: string, body: string) => ({ ...envelope(to), type: 'text', text: { body, preview_url: false } });

/** A template with its body parameters, as Meta documents `type: "template"`. */
export function templateMessage(to: string, template: ReplyTemplate) {
  return {
    ...envelope(to),
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(template.parameters.length ? { components: [{ type: 'body', parameters: template.parameters.map((text) => ({ type: 'text', text })) }] } : {}),
    },
  };
}

/** Buttons: up to three reply buttons (titles of at most 20 characters), else a list of up to ten rows. */
export function choicesMessage(to: string, body: string, choices: { id: string; label: string }[], listButton: string) {
  const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const asButtons = choices.length <= MAX_BUTTONS && choices.every((c) => c.label.length <= MAX_BUTTON_TITLE);
  const interactive = asButtons
    ? {
        type: 'button',
        body: { text: body },
        action: { buttons: choices.map((c) => ({ type: 'reply', reply: { id: `${CHOICE_PREFIX}${c.id}`, title: c.label } })) },
      }
    : {
        type: 'list',
        body: { text: body },
        action: {
          button: short(listButton, MAX_BUTTON_TITLE),
          sections: [
            {
              rows: choices.slice(0, MAX_LIST_ROWS).map((c) => ({
                id: `${CHOICE_PREFIX}${c.id}`,
                title: short(c.label, MAX_ROW_TITLE),
                ...(c.label.length > MAX_ROW_TITLE ? { description: short(c.label, 72) } : {}),
              })),
            },
          ],
        },
      };
  return { ...envelope(to), type: 'interactive', interactive };
}

/** The WhatsApp media type a file goes out as (what Meta accepts for each; anything else is a document). */
export function mediaTypeOf(contentType: string): 'image' | 'video' | 'audio' | 'document' {
  const type = contentType.toLowerCase();
  if (type === 'image/jpeg' || type === 'image/png') return 'image';
  if (type === 'video/mp4' || type === 'video/3gpp') return 'video';
  if (['audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/ogg'].includes(type)) return 'audio';
  return 'document';
}

export function mediaMessage(to: string, mediaId: string, attachment: OutboundAttachment) {
  const type = mediaTypeOf(attachment.contentType);
  return { ...envelope(to), type, [type]: { id: mediaId, ...(type === 'document' ? { filename: attachment.filename } : {}) } };
}

/** The multipart body of `POST /{phone-number-id}/media`: messaging_product, type, file. */
export function mediaUpload(attachment: OutboundAttachment): { contentType: string; bytes: Uint8Array } {
  const boundary = `----parley${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const safeName = attachment.filename.replace(/["\r\n\\]/g, '_');
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head =
    field('messaging_product', 'whatsapp') +
    field('type', attachment.contentType) +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: ${attachment.contentType}\r\n\r\n`;
  const bytes = Buffer.concat([Buffer.from(head, 'utf8'), attachment.content, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')]);
  return { contentType: `multipart/form-data; boundary=${boundary}`, bytes };
}

/** Meta's template as `GET /{waba-id}/message_templates` lists it. */
export interface WaTemplate {
  name?: string;
  language?: string;
  status?: string;
  category?: string;
  components?: { type?: string; text?: string }[];
}

/** An approved template as agents pick it; null for one that is not approved or not readable. */
export function approvedTemplate(raw: WaTemplate): MessageTemplate | null {
  if (raw?.status !== 'APPROVED' || typeof raw.name !== 'string' || typeof raw.language !== 'string') return null;
  const body = (raw.components ?? []).find((c) => typeof c?.type === 'string' && c.type.toUpperCase() === 'BODY');
  const text = typeof body?.text === 'string' ? body.text : '';
  let parameterCount = 0;
  for (const match of text.matchAll(/\{\{\s*(\d{1,2})\s*\}\}/g)) parameterCount = Math.max(parameterCount, Number(match[1]));
  return { name: raw.name, language: raw.language, category: typeof raw.category === 'string' ? raw.category : 'UTILITY', body: text, parameterCount };
}

import type { InboundMessage, MessageField } from '../channel-plugin';
import { INBOUND_NOTES } from './i18n';

/**
 * Meta's `messages` webhook for WhatsApp (Cloud API), as documented: `{ object:
 * "whatsapp_business_account", entry: [{ id: <WABA id>, changes: [{ field: "messages", value: {
 * messaging_product, metadata: { display_phone_number, phone_number_id }, contacts: [{ profile:
 * { name }, wa_id }], messages: [...], statuses: [...] } }] }] }`. Only what the plugin reads.
 */
export interface WaWebhook {
  object?: string;
  entry?: { id?: string; changes?: { field?: string; value?: WaChangeValue }[] }[];
}

export interface WaChangeValue {
  messaging_product?: string;
  metadata?: { display_phone_number?: string; phone_number_id?: string };
  contacts?: { profile?: { name?: string }; wa_id?: string }[];
  messages?: WaMessage[];
  statuses?: WaStatus[];
}

export interface WaMedia {
  id?: string;
  mime_type?: string;
  sha256?: string;
  caption?: string;
  filename?: string;
}

export interface WaMessage {
  from?: string;
  id?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
  image?: WaMedia;
  audio?: WaMedia;
  video?: WaMedia;
  document?: WaMedia;
  sticker?: WaMedia;
  location?: { latitude?: number; longitude?: number; name?: string; address?: string; url?: string };
  contacts?: {
    name?: { formatted_name?: string; first_name?: string; last_name?: string };
    phones?: { phone?: string; wa_id?: string; type?: string }[];
    emails?: { email?: string; type?: string }[];
  }[];
  interactive?: { type?: string; button_reply?: { id?: string; title?: string }; list_reply?: { id?: string; title?: string; description?: string } };
  button?: { payload?: string; text?: string };
  reaction?: { message_id?: string; emoji?: string };
  errors?: WaError[];
  context?: { from?: string; id?: string };
}

export interface WaError {
  code?: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
}

export interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  errors?: WaError[];
}

export const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** The prefix of the ids of buttons Parley offers (OutboundMessage.choices): an answer with one is a choice. */
export const CHOICE_PREFIX = 'parley-choice:';

/** The thread of one customer on one business number. */
export const threadIdOf = (phoneNumberId: string, waId: string) => `${phoneNumberId}:${waId}`;

/** `<phoneNumberId>:<wa_id>` back into its parts; null for anything else. */
export function parseThreadId(threadId: string): { phoneNumberId: string; waId: string } | null {
  const match = /^(\d{1,30}):(\d{1,30})$/.exec(threadId);
  return match ? { phoneNumberId: match[1]!, waId: match[2]! } : null;
}

/** One message turned into what `ingest` takes, and the media to fetch first when it carries some. */
export interface NormalisedMessage {
  message: InboundMessage;
  media?: { type: MediaType; id: string; mimeType: string; filename?: string };
}

/** A webhook message as Parley stores it; null when it cannot be one (no id or sender). */
export function normaliseMessage(value: WaChangeValue, raw: WaMessage, connectionId: string, phoneNumberId: string): NormalisedMessage | null {
  const waId = typeof raw.from === 'string' ? raw.from.replace(/^\+/, '') : '';
  if (!/^\d{1,30}$/.test(waId) || typeof raw.id !== 'string' || raw.id === '' || raw.id.length > 512) return null;
  const profile = (value.contacts ?? []).find((c) => c?.wa_id === waId)?.profile?.name;
  const seconds = Number(raw.timestamp);
  const receivedAt = Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
  const base: InboundMessage = {
    channel: 'whatsapp',
    connectionId,
    externalThreadId: threadIdOf(phoneNumberId, waId),
    externalMessageId: raw.id,
    from: { address: `+${waId}`, ...(typeof profile === 'string' && profile.trim() ? { name: profile.trim().slice(0, 200) } : {}) },
    to: [{ address: /^\d{1,30}$/.test(str(value.metadata?.display_phone_number)) ? `+${str(value.metadata?.display_phone_number)}` : phoneNumberId }],
    text: '',
    ...(receivedAt ? { receivedAt } : {}),
  };
  const type = typeof raw.type === 'string' ? raw.type : 'unknown';
  switch (type) {
    case 'text':
      return { message: { ...base, text: str(raw.text?.body) } };
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const media = raw[type];
      if (!media || typeof media.id !== 'string' || media.id === '')
        return { message: { ...base, text: INBOUND_NOTES.mediaMissing(type, 'WhatsApp sent no media id') } };
      return {
        message: { ...base, text: str(media.caption) },
        media: {
          type,
          id: media.id,
          mimeType: typeof media.mime_type === 'string' && media.mime_type ? media.mime_type.split(';')[0]!.trim() : 'application/octet-stream',
          ...(typeof media.filename === 'string' && media.filename ? { filename: media.filename.slice(0, 200) } : {}),
        },
      };
    }
    case 'location': {
      const location = raw.location ?? {};
      const lat = Number(location.latitude);
      const lon = Number(location.longitude);
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return { message: { ...base, text: INBOUND_NOTES.unsupported(type, 'no coordinates') } };
      const field: MessageField = {
        key: 'location',
        label: { en: 'Location', nl: 'Locatie' },
        value: [str(location.name), str(location.address), `${lat}, ${lon}`].filter(Boolean).join(' — '),
        url: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`,
      };
      return {
        message: { ...base, text: INBOUND_NOTES.location(str(location.name) || undefined, str(location.address) || undefined, lat, lon), fields: [field] },
      };
    }
    case 'contacts': {
      const cards = Array.isArray(raw.contacts) ? raw.contacts.slice(0, 20) : [];
      const fields: MessageField[] = [];
      const names: string[] = [];
      cards.forEach((card, index) => {
        const name = str(card?.name?.formatted_name) || [str(card?.name?.first_name), str(card?.name?.last_name)].filter(Boolean).join(' ') || `#${index + 1}`;
        const phones = (card?.phones ?? []).map((p) => str(p?.phone) || (p?.wa_id ? `+${p.wa_id}` : '')).filter(Boolean);
        const emails = (card?.emails ?? []).map((e) => str(e?.email)).filter(Boolean);
        names.push([name, ...phones].join(' '));
        fields.push({ key: `contact.${index}.name`, label: { en: 'Contact', nl: 'Contactpersoon' }, value: name });
        phones.forEach((phone, p) => fields.push({ key: `contact.${index}.phone.${p}`, label: { en: 'Phone', nl: 'Telefoon' }, value: phone }));
        emails.forEach((email, e) => fields.push({ key: `contact.${index}.email.${e}`, label: { en: 'Email', nl: 'E-mail' }, value: email }));
      });
      return { message: { ...base, text: INBOUND_NOTES.contacts(names), ...(fields.length ? { fields } : {}) } };
    }
    case 'interactive': {
      const reply = raw.interactive?.button_reply ?? raw.interactive?.list_reply;
      const id = str(reply?.id);
      const title = str(reply?.title);
      if (!reply) return { message: { ...base, text: INBOUND_NOTES.unsupported(`interactive ${str(raw.interactive?.type)}`, undefined) } };
      const choiceId = id.startsWith(CHOICE_PREFIX) ? id.slice(CHOICE_PREFIX.length) : '';
      return { message: { ...base, text: title || id, ...(choiceId ? { choiceId } : {}) } };
    }
    case 'button':
      return { message: { ...base, text: str(raw.button?.text) || str(raw.button?.payload) } };
    case 'reaction': {
      const to = str(raw.reaction?.message_id);
      if (!to) return { message: { ...base, text: INBOUND_NOTES.unsupported(type, 'no message_id') } };
      const emoji = str(raw.reaction?.emoji);
      return { message: { ...base, text: emoji, reaction: { toExternalMessageId: to, emoji } } };
    }
    default: {
      const error = raw.errors?.[0];
      const detail = [str(error?.title), str(error?.error_data?.details)].filter(Boolean).join(': ');
      return { message: { ...base, text: INBOUND_NOTES.unsupported(type, detail || undefined) } };
    }
  }
}

/** Meta's reason for a failed status: `title: message — details (code)`. */
export function statusReason(errors: WaError[] | undefined): string {
  const error = errors?.[0];
  if (!error) return 'WhatsApp reported the message as failed without a reason';
  const text = [str(error.title) || str(error.message), str(error.error_data?.details)].filter(Boolean);
  if (str(error.message) && str(error.message) !== str(error.title) && !text.includes(str(error.message))) text.splice(1, 0, str(error.message));
  return `${text.join(' — ') || 'Failed'}${typeof error.code === 'number' ? ` (${error.code})` : ''}`;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

import { metaSignature } from '../../src/plugins/meta/webhook';

/**
 * Signed WhatsApp Cloud API webhook deliveries in the JSON shapes Meta documents (the `messages`
 * webhook: `object: "whatsapp_business_account"`, entries of changes with `field: "messages"`),
 * for the tests and the benchmark. Build the value of each change, wrap them into a delivery, sign it.
 *
 *   const body = waDelivery([waEntry(WABA, [waChange(PHONE_ID, { messages: [waText('31612345678', 'Hi')] })])]);
 *   const { raw, headers } = signWaDelivery(body, APP_SECRET);
 */
let counter = 0;
/** A wamid in Meta's shape (base64 of an opaque id); unique per call unless given. */
export function wamid(seed?: string): string {
  counter += 1;
  const id = seed ?? `${process.pid}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 10)}`;
  return `wamid.${Buffer.from(`HBgL${id}`).toString('base64')}`;
}

const timestamp = (at: Date = new Date()) => String(Math.floor(at.getTime() / 1000));

export interface WaMessageOptions {
  id?: string;
  at?: Date;
}

function message(from: string, type: string, content: Record<string, unknown>, options: WaMessageOptions = {}): Record<string, unknown> {
  return { from, id: options.id ?? wamid(), timestamp: timestamp(options.at), type, ...content };
}

export const waText = (from: string, body: string, options?: WaMessageOptions) => message(from, 'text', { text: { body } }, options);
export const waMedia = (
  from: string,
  type: 'image' | 'audio' | 'video' | 'document' | 'sticker',
  media: { id: string; mime_type: string; caption?: string; filename?: string; sha256?: string },
  options?: WaMessageOptions,
) => message(from, type, { [type]: { sha256: 'IJHUtQx6d3ByvhyRwZpcqDuMHIK3yNqGvMoM0VcS2vw=', ...media } }, options);
export const waLocation = (from: string, location: { latitude: number; longitude: number; name?: string; address?: string }, options?: WaMessageOptions) =>
  message(from, 'location', { location }, options);
export const waContacts = (
  from: string,
  contacts: {
    name: { formatted_name: string; first_name?: string };
    phones?: { phone: string; wa_id?: string; type?: string }[];
    emails?: { email: string; type?: string }[];
  }[],
  options?: WaMessageOptions,
) => message(from, 'contacts', { contacts }, options);
export const waReaction = (from: string, messageId: string, emoji: string, options?: WaMessageOptions) =>
  message(from, 'reaction', { reaction: { message_id: messageId, emoji } }, options);
export const waButtonReply = (from: string, id: string, title: string, options?: WaMessageOptions) =>
  message(from, 'interactive', { interactive: { type: 'button_reply', button_reply: { id, title } } }, options);
export const waListReply = (from: string, id: string, title: string, options?: WaMessageOptions) =>
  message(from, 'interactive', { interactive: { type: 'list_reply', list_reply: { id, title, description: '' } } }, options);
export const waTemplateButton = (from: string, text: string, payload = text, options?: WaMessageOptions) =>
  message(from, 'button', { button: { payload, text } }, options);
export const waUnsupported = (from: string, options?: WaMessageOptions) =>
  message(
    from,
    'unsupported',
    {
      errors: [
        { code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } },
      ],
    },
    options,
  );

/** A status of a message the business sent. `failed` carries Meta's error. */
export function waStatus(
  id: string,
  status: 'sent' | 'delivered' | 'read' | 'failed',
  recipientId: string,
  options: { at?: Date; error?: { code: number; title: string; message?: string; details?: string } } = {},
): Record<string, unknown> {
  return {
    id,
    status,
    timestamp: timestamp(options.at),
    recipient_id: recipientId,
    ...(status === 'failed' && options.error
      ? {
          errors: [
            {
              code: options.error.code,
              title: options.error.title,
              message: options.error.message ?? options.error.title,
              error_data: { details: options.error.details ?? options.error.title },
            },
          ],
        }
      : {
          conversation: { id: 'CONVERSATION_ID', origin: { type: 'service' } },
          pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
        }),
  };
}

/** One change of the `messages` field for a business number; `contacts` are the senders' profiles (wa_id → name). */
export function waChange(
  phoneNumberId: string,
  content: { messages?: Record<string, unknown>[]; statuses?: Record<string, unknown>[]; contacts?: Record<string, string> },
  displayPhoneNumber = '15550783881',
): Record<string, unknown> {
  const profiles = content.contacts ?? {};
  for (const m of content.messages ?? []) if (typeof m.from === 'string' && !(m.from in profiles)) profiles[m.from] = `Customer ${m.from.slice(-4)}`;
  return {
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: displayPhoneNumber, phone_number_id: phoneNumberId },
      ...(content.messages?.length ? { contacts: Object.entries(profiles).map(([wa_id, name]) => ({ profile: { name }, wa_id })) } : {}),
      ...(content.messages?.length ? { messages: content.messages } : {}),
      ...(content.statuses?.length ? { statuses: content.statuses } : {}),
    },
    field: 'messages',
  };
}

export const waEntry = (businessAccountId: string, changes: Record<string, unknown>[]) => ({ id: businessAccountId, changes });
export const waDelivery = (entries: Record<string, unknown>[]) => ({ object: 'whatsapp_business_account', entry: entries });

/** The exact bytes and the headers Meta posts them with (X-Hub-Signature-256 over those bytes). */
export function signWaDelivery(delivery: unknown, appSecret: string): { raw: string; headers: Record<string, string> } {
  const raw = JSON.stringify(delivery);
  return { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(appSecret, raw) } };
}

/** A batch of `count` text messages from `senders` customers (round robin) to one number, in one delivery: what the benchmark posts. */
export function waTextBatch(options: {
  businessAccountId: string;
  phoneNumberId: string;
  count: number;
  senders?: number;
  firstWaId?: number;
  text?: (index: number) => string;
}): Record<string, unknown> {
  const senders = options.senders ?? options.count;
  const first = options.firstWaId ?? 31600000000;
  const messages = Array.from({ length: options.count }, (_, i) =>
    waText(String(first + (i % senders)), options.text ? options.text(i) : `Message ${i + 1} of the batch`),
  );
  return waDelivery([waEntry(options.businessAccountId, [waChange(options.phoneNumberId, { messages })])]);
}

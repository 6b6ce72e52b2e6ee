import type { MessageField } from '../../domain/conversation/conversation.events';
import { InvalidRequestError } from '../access/inbox-access';
import { MAX_INBOUND_FILE_BYTES, MAX_INBOUND_FILES, MAX_INBOUND_FILES_TOTAL_BYTES } from '../ports/attachment-store.port';
import type { InboundFile } from '../ports/channel.port';

/**
 * The checks of what a channel plugin hands over besides the text (InboundMessage.files, fields,
 * reaction): a plugin's mistake is a 400 naming the member and the value, before anything is
 * stored. The sentences are the API's (describe-error.ts recognises each to translate it).
 */

/** At most this many fields on one message. */
export const MAX_MESSAGE_FIELDS = 50;
export const MAX_FIELD_KEY_LENGTH = 64;
export const MAX_FIELD_LABEL_LENGTH = 200;
export const MAX_FIELD_VALUE_LENGTH = 10_000;
export const MAX_FIELD_URL_LENGTH = 2_000;

/** A media type without parameters: `image/jpeg`, `application/vnd.ms-excel`. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
// Control characters are what is removed from file names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** A value as a refusal shows it: JSON, cut short. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return `${value.length} bytes`;
  if (typeof value === 'function') return 'a function';
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** The files checked and cleaned (name, type); [] when there are none. */
export function checkedFiles(files: unknown): InboundFile[] {
  if (files === undefined) return [];
  if (!Array.isArray(files)) throw new InvalidRequestError(`files: must be a list of files (got ${shown(files)})`);
  if (files.length > MAX_INBOUND_FILES) throw new InvalidRequestError(`files: at most ${MAX_INBOUND_FILES} files per message (got ${files.length})`);
  let total = 0;
  const checked = files.map((file: Partial<InboundFile> | null, index) => {
    const content = file?.content;
    if (!Buffer.isBuffer(content) || content.length === 0) {
      throw new InvalidRequestError(`files[${index}].content: must be the file's bytes, a non-empty Buffer (got ${shown(content)})`);
    }
    if (content.length > MAX_INBOUND_FILE_BYTES) {
      throw new InvalidRequestError(`files[${index}].content: at most ${MAX_INBOUND_FILE_BYTES} bytes per file (got ${content.length})`);
    }
    total += content.length;
    const rawType = file?.contentType;
    const contentType = typeof rawType === 'string' ? rawType.split(';')[0]!.trim().toLowerCase() : '';
    if (!MEDIA_TYPE.test(contentType)) {
      throw new InvalidRequestError(`files[${index}].contentType: must be a media type like image/jpeg (got ${shown(rawType)})`);
    }
    const rawName = file?.filename;
    if (rawName !== undefined && typeof rawName !== 'string') {
      throw new InvalidRequestError(`files[${index}].filename: must be the file's name as text (got ${shown(rawName)})`);
    }
    return { filename: cleanFilename(rawName, index), contentType, content };
  });
  if (total > MAX_INBOUND_FILES_TOTAL_BYTES) {
    throw new InvalidRequestError(`files: at most ${MAX_INBOUND_FILES_TOTAL_BYTES} bytes in all per message (got ${total})`);
  }
  return checked;
}

/** The last path segment, without control characters, at most 200 characters; `file-<n>` when nothing usable is left. */
function cleanFilename(value: string | undefined, index: number): string {
  const name = (value ?? '').split(/[/\\]/).pop()?.replace(CONTROL_CHARACTERS, '').trim().slice(0, 200) ?? '';
  return name === '' || name === '.' || name === '..' ? `file-${index + 1}` : name;
}

/** The fields checked, keeping only their known members; undefined when there are none. */
export function checkedFields(fields: unknown): MessageField[] | undefined {
  if (fields === undefined) return undefined;
  if (!Array.isArray(fields) || fields.length > MAX_MESSAGE_FIELDS) {
    const got = Array.isArray(fields) ? `${fields.length} fields` : shown(fields);
    throw new InvalidRequestError(`fields: must be a list of at most ${MAX_MESSAGE_FIELDS} fields (got ${got})`);
  }
  const checked = fields.map((field: Partial<MessageField> | null, index): MessageField => {
    const key = field?.key;
    if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_FIELD_KEY_LENGTH) {
      throw new InvalidRequestError(`fields[${index}].key: must be 1 to ${MAX_FIELD_KEY_LENGTH} characters (got ${shown(key)})`);
    }
    const label = field?.label as unknown;
    const texts = typeof label === 'object' && label !== null && !Array.isArray(label) ? Object.entries(label as Record<string, unknown>) : null;
    const labelOk =
      texts !== null &&
      texts.every(([language, text]) => /^[a-z]{2,3}$/.test(language) && typeof text === 'string' && text.length <= MAX_FIELD_LABEL_LENGTH) &&
      typeof (label as { en?: unknown }).en === 'string' &&
      (label as { en: string }).en.trim() !== '';
    if (!labelOk) {
      throw new InvalidRequestError(
        `fields[${index}].label: must be texts by language of at most ${MAX_FIELD_LABEL_LENGTH} characters with a non-empty English one, { en: '…' } (got ${shown(label)})`,
      );
    }
    const value = field?.value;
    if (typeof value !== 'string' || value.length > MAX_FIELD_VALUE_LENGTH) {
      throw new InvalidRequestError(`fields[${index}].value: must be text of at most ${MAX_FIELD_VALUE_LENGTH} characters (got ${shown(value)})`);
    }
    const url = field?.url;
    if (url !== undefined && !isWebUrl(url)) {
      throw new InvalidRequestError(`fields[${index}].url: must be an http(s) URL of at most ${MAX_FIELD_URL_LENGTH} characters (got ${shown(url)})`);
    }
    return { key, label: Object.fromEntries(texts!) as MessageField['label'], value, ...(url === undefined ? {} : { url }) };
  });
  return checked.length > 0 ? checked : undefined;
}

function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_FIELD_URL_LENGTH) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A reaction's members, checked; null when the message is not a reaction. */
export function checkedReaction(reaction: unknown): { toExternalMessageId: string; emoji: string } | null {
  if (reaction === undefined) return null;
  const r = reaction as { toExternalMessageId?: unknown; emoji?: unknown } | null;
  if (typeof r?.toExternalMessageId !== 'string' || r.toExternalMessageId === '' || typeof r.emoji !== 'string') {
    throw new InvalidRequestError(
      `reaction: must be { toExternalMessageId, emoji } with the reacted-to message's id and the emoji as text (got ${shown(reaction)})`,
    );
  }
  return { toExternalMessageId: r.toExternalMessageId, emoji: r.emoji };
}

/** `spam`: true, false or left out. */
export function checkedSpam(spam: unknown): boolean {
  if (spam === undefined) return false;
  if (typeof spam !== 'boolean') throw new InvalidRequestError(`spam: must be true or false (got ${shown(spam)})`);
  return spam;
}

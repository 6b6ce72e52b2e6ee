import type { InboundMessage } from '../channel-plugin';

/**
 * What Messenger and WhatsApp do when the inbox refuses a message with a 4xx (its fields, its
 * files, a reaction to a message Parley never had, a shared email it does not take): Meta has
 * been (or will be) answered 200, so the message is never simply dropped. It is handed over once
 * more with its text and sender only, and a note in the text saying what was left out and why;
 * only a message the inbox refuses even then is dropped (the plugin logs it at error level with
 * its id).
 */

/** Refusals that say "not now" (a conflicting write, a conversation being deleted: "retry shortly"), not "never". */
const TRANSIENT = new Set([408, 409, 425, 429]);

/**
 * The status of a host refusal that trying again cannot change (a 4xx), or undefined for any
 * other failure, including a 409 or 429 (the delivery is answered 500 or the job tried again).
 */
export function refusalStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && !TRANSIENT.has(status) ? status : undefined;
}

/**
 * The message without the parts the inbox may refuse (fields, files, reaction, choice, shared
 * email), its text followed by a note naming them and the inbox's reason; null when it carried
 * none of them (handing the same text over again cannot help) or it was a reaction taken back.
 */
export function withoutRefusedParts(message: InboundMessage, reason: string, channelName: string): InboundMessage | null {
  const left: string[] = [];
  if (message.fields?.length)
    left.push(`details (${message.fields.map((f) => `${String(f?.label?.en ?? f?.key)}: ${String(f?.value)}`).join('; ')})`.slice(0, 500));
  if (message.files?.length) left.push(`${message.files.length} file(s) (${message.files.map((f) => String(f?.filename)).join(', ')})`.slice(0, 300));
  if (message.reaction) {
    // Taking back a reaction on a message the inbox never had leaves nothing to keep.
    if (!message.reaction.emoji) return null;
    left.push(`a reaction ${message.reaction.emoji} to a message this inbox does not have`);
  }
  if (message.contactEmail) left.push(`the shared email address ${message.contactEmail}`.slice(0, 300));
  if (message.choiceId !== undefined) left.push('the button the contact chose');
  if (left.length === 0) return null;
  const note = `[This ${channelName} message is kept without ${left.join(', ')}: the inbox refused ${left.length > 1 ? 'them' : 'it'} (${reason.slice(0, 300)})]`;
  const text = message.reaction ? '' : message.text;
  const { fields: _fields, files: _files, reaction: _reaction, contactEmail: _email, choiceId: _choice, ...rest } = message;
  return { ...rest, text: text ? `${text}\n\n${note}` : note };
}

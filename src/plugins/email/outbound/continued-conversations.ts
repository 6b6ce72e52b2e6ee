import { createHash } from 'node:crypto';
import type { PluginStorage } from '../../channel-plugin';

/** What is kept for a thread that carries another channel's conversation. */
interface ContinuedThread {
  conversationId: string;
  /** The conversation's own channel (`chat`), for logs. */
  channel: string;
}

/**
 * Rule 12, the email side: a chat answered by email goes out on a thread rooted at the chat's
 * own thread key, and the visitor's answer by email (In-Reply-To our Message-ID, or the subject
 * fallback) resolves to that root. This remembers, in the plugin's storage (shared by every
 * instance), which conversation such a root belongs to, so the answer is ingested with
 * `continuesConversationId` and lands in the same conversation instead of starting an email one.
 */
export class ContinuedConversations {
  constructor(private readonly storage: PluginStorage) {}

  /** After sending a reply for a conversation of another channel: its thread now leads back to it. */
  async remember(root: string, conversationId: string, channel: string): Promise<void> {
    const key = keyOf(root);
    const known = await this.storage.get<ContinuedThread>(key);
    if (known?.conversationId === conversationId) return;
    await this.storage.set(key, { conversationId, channel } satisfies ContinuedThread);
  }

  /** The conversation an inbound email of this thread continues, or null for an ordinary email thread. */
  async conversationOf(root: string): Promise<ContinuedThread | null> {
    return this.storage.get<ContinuedThread>(keyOf(root));
  }
}

// Hashed: thread keys are the channel's own (a chat session id, a Message-ID of any length), keys are at most 512 characters.
const keyOf = (root: string) => `continued-thread/${createHash('sha256').update(root, 'utf8').digest('hex')}`;

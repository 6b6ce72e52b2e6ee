import { CONVERSATION_STREAM_PREFIX, streams } from '../streams';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The stream of the conversation an auditor names by its uuid or by its stream name
 * (`conversation-<uuid>`); null for anything else, so no other stream can be reached this way.
 */
export function conversationStreamNamed(conversation: string): string | null {
  const id = conversation.startsWith(CONVERSATION_STREAM_PREFIX) ? conversation.slice(CONVERSATION_STREAM_PREFIX.length) : conversation;
  return UUID.test(id) ? streams.conversation(id.toLowerCase()) : null;
}

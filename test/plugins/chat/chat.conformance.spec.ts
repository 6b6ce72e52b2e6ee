import type { ChannelHostConnection, ChannelPlugin, PluginStorage } from '../../../src/plugins/channel-plugin';
import { createChatPlugin } from '../../../src/plugins/chat/chat-plugin';
import { validateChatSettings } from '../../../src/plugins/chat/settings';
import { channelPluginConformance, type FakeHostConnection } from '../../../src/plugins/testing';

/**
 * The chat channel against the plugin conformance kit. Its outside world is the visitor's browser:
 * messages arrive through the visitor API (a session, the pre-chat form with the sender's address,
 * one POST per message, the kit's externalMessageId as the clientMessageId), and replies go to the
 * visitor's event streams, which cannot refuse them. So what decides a send is the host's side: the
 * reply's conversation is a known chat (delivered), is none (permanent), or the plugin's storage is
 * down (retryable; the scenario hands the plugin a connection whose storage fails while `outage` is set).
 */
const CID = '4c0f0c0a-0000-4000-8000-0000000c4a71';
const INBOX = '4c0f0c0a-0000-4000-8000-00000000b0b0';
const settings = validateChatSettings({}, { inboxId: INBOX });
const tokens = new WeakMap<FakeHostConnection, Map<string, string>>();
let connection: ChannelHostConnection | null = null;
let outage = false;

/** The plugin with the host's connection, its storage failing while `outage` is set (a database gone away). */
function createPlugin(): ChannelPlugin {
  const plugin = createChatPlugin();
  outage = false;
  return {
    ...plugin,
    connect(host) {
      connection = host;
      const failing = (): Promise<never> => Promise.reject(new Error('the plugin store is unavailable'));
      const storage: PluginStorage = {
        get: (key) => (outage ? failing() : host.storage.get(key)),
        set: (key, value) => (outage ? failing() : host.storage.set(key, value)),
        setIfAbsent: (key, value) => (outage ? failing() : host.storage.setIfAbsent(key, value)),
        delete: (key) => (outage ? failing() : host.storage.delete(key)),
        list: (prefix, options) => (outage ? failing() : host.storage.list(prefix, options)),
      };
      return plugin.connect({ ...host, storage });
    },
  };
}

async function json(response: Promise<{ status: number; body?: unknown }>, expected: number): Promise<Record<string, string>> {
  const answer = await response;
  if (answer.status !== expected) throw new Error(`expected ${expected}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as Record<string, string>;
}

channelPluginConformance('chat', {
  createPlugin,
  scenario: {
    connections: [{ id: CID, inboxId: INBOX, settings }],
    deliverInbound: async (host, message) => {
      const byThread = tokens.get(host) ?? new Map<string, string>();
      tokens.set(host, byThread);
      const base = `/channels/chat/c/${CID}`;
      let token = byThread.get(message.externalThreadId);
      if (token === undefined) {
        token = (await json(host.request('POST', `${base}/session`, { body: {} }), 200)).token;
        byThread.set(message.externalThreadId, token);
        const headers = { authorization: `Bearer ${token}` };
        await json(host.request('POST', `${base}/contact`, { body: { name: message.from.name, email: message.from.address }, headers }), 200);
      }
      await json(
        host.request('POST', `${base}/messages`, {
          body: { text: message.text, clientMessageId: message.externalMessageId },
          headers: { authorization: `Bearer ${token}` },
        }),
        201,
      );
    },
    outbound: {
      // The kit's replies are for conversation …c0de: a chat of this connection once it is linked.
      succeed: async () => {
        outage = false;
        await connection!.storage.set('conversation:00000000-0000-4000-8000-00000000c0de', {
          connectionId: CID,
          visitorId: 'AAAAAAAAAAAAAAAAAAAAAA',
          thread: 1,
        });
      },
      failRetryably: () => {
        outage = true;
      },
      failPermanently: async () => {
        outage = false;
        await connection!.storage.delete('conversation:00000000-0000-4000-8000-00000000c0de');
      },
    },
  },
});

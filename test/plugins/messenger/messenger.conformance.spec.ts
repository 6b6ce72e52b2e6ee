import type { ChannelPlugin, PluginConversation } from '../../../src/plugins/channel-plugin';
import { metaSignature } from '../../../src/plugins/meta/webhook';
import { createMessengerPlugin } from '../../../src/plugins/messenger/messenger-plugin';
import { channelPluginConformance } from '../../../src/plugins/testing';
import { createOutboundHttp } from '../../../src/infrastructure/outbound/outbound-guard';
import { FakeGraphApi, graphError } from '../../support/fake-graph-api';

/**
 * The Messenger channel against the plugin conformance kit. Its outside world is Meta: messages
 * arrive as signed page webhooks in Meta's JSON (the kit's sender address is the PSID, its message
 * id the mid), and replies go to a local stand-in of the Graph API, which accepts them, throttles
 * (rate limited: retryable) or refuses them (an expired token: permanent).
 */
const CID = '4c0f0c0a-0000-4000-8000-0000000f4b01';
const INBOX = '4c0f0c0a-0000-4000-8000-00000000b0b1';
const PAGE_ID = '1029384756';
const APP_SECRET = 'conformance-app-secret-0123456789';
const graph = new FakeGraphApi();
let sent = 0;
/** A Messenger thread is one PSID: the kit's thread takes the address of its first message's sender as the PSID. */
const psidOfThread = new Map<string, string>();

/** The kit's replies are for conversation …c0de: here a Messenger conversation whose contact wrote a minute ago. */
function createPlugin(): ChannelPlugin {
  const plugin = createMessengerPlugin();
  return {
    ...plugin,
    connect(host) {
      const conversation = (conversationId: string): PluginConversation | null =>
        conversationId === '00000000-0000-4000-8000-00000000c0de'
          ? {
              conversationId,
              inboxId: INBOX,
              externalThreadId: `${PAGE_ID}:7001002003`,
              status: 'open',
              hidden: false,
              contact: { address: '7001002003' },
              lastContactMessageAt: new Date(Date.now() - 60_000).toISOString(),
            }
          : null;
      const conversations = { ...host.conversations, get: async (id: string) => conversation(id) ?? host.conversations.get(id) };
      return plugin.connect({ ...host, conversations });
    },
  };
}

channelPluginConformance('messenger', {
  createPlugin,
  scenario: {
    http: createOutboundHttp({ allowPrivateNetwork: true }),
    get connections() {
      return [
        {
          id: CID,
          inboxId: INBOX,
          settings: {
            pageId: PAGE_ID,
            pageAccessToken: 'EAAconformance-page-token',
            appSecret: APP_SECRET,
            verifyToken: 'conformance-verify',
            graphApiBaseUrl: graph.baseUrl,
            apiVersion: 'v23.0',
            humanAgentTag: false,
          },
        },
      ];
    },
    beforeAll: async () => {
      await graph.start();
      graph.on('GET', /^\/v23\.0\/[^/]+$/, (request) => ({ body: { name: `Contact ${request.path.split('/').pop()}`, id: request.path.split('/').pop() } }));
    },
    afterAll: () => graph.stop(),
    deliverInbound: async (host, message) => {
      if (!psidOfThread.has(message.externalThreadId)) psidOfThread.set(message.externalThreadId, message.from.address);
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: PAGE_ID,
            time: 1765101600000,
            messaging: [
              {
                sender: { id: psidOfThread.get(message.externalThreadId) },
                recipient: { id: PAGE_ID },
                timestamp: 1765101600000,
                message: { mid: message.externalMessageId, text: message.text },
              },
            ],
          },
        ],
      });
      const response = await host.request('POST', '/channels/messenger/webhook', {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(APP_SECRET, body) },
      });
      if (response.status !== 200) throw new Error(`the webhook answered ${response.status}: ${JSON.stringify(response.body)}`);
    },
    outbound: {
      succeed: () => {
        graph.on('POST', /\/messages$/, () => ({ body: { recipient_id: '7001002003', message_id: `m_conformance_${(sent += 1)}` } }));
      },
      failRetryably: () => {
        graph.on('POST', /\/messages$/, () => graphError.rateLimited());
      },
      failPermanently: () => {
        graph.on('POST', /\/messages$/, () => graphError.expiredToken());
      },
    },
  },
});

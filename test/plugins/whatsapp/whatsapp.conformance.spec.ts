import { createOutboundHttp } from '../../../src/infrastructure/outbound/outbound-guard';
import type { ChannelHostConnection, ChannelPlugin } from '../../../src/plugins/channel-plugin';
import { channelPluginConformance, type FakeConnectionInput } from '../../../src/plugins/testing';
import { createWhatsAppPlugin } from '../../../src/plugins/whatsapp/whatsapp-plugin';
import { FakeGraphApi, graphError } from '../../support/fake-graph-api';
import { signWaDelivery, waChange, waDelivery, waEntry, waText } from '../../support/whatsapp-webhook';

/**
 * The WhatsApp channel against the plugin conformance kit, with a local stand-in of the Graph API.
 * Inbound: the kit's message as a signed `messages` webhook of Meta's shape (the kit's thread is the
 * customer: a wa_id made from it, the kit's externalMessageId the wamid). Outbound: the kit's reply
 * goes to a customer of the connection (its thread `<phone number id>:<wa_id>`); Meta accepts it, is throttled
 * (130429), or refuses it with an expired token (190).
 */
const CID = '3a7e0c0a-0000-4000-8000-0000000a3a77';
const INBOX = '3a7e0c0a-0000-4000-8000-00000000b0b0';
const PHONE_ID = '106540352242922';
const APP_SECRET = 'conformance-app-secret-0123456789';
const graph = new FakeGraphApi();
const connections: FakeConnectionInput[] = [];
/** The kit's threads as WhatsApp customers: a wa_id each, and the kit's address of that customer. */
const waIds = new Map<string, string>();
const kitAddressOf = new Map<string, string>();

function waIdOf(thread: string, address: string): string {
  let id = waIds.get(thread);
  if (!id) {
    id = String(31600000000 + waIds.size + 1);
    waIds.set(thread, id);
    kitAddressOf.set(`+${id}`, address);
  }
  return id;
}

/**
 * The plugin with the host's connection. The kit names its senders by email address; a WhatsApp
 * customer is a phone number (`+<wa_id>`, checked in whatsapp-plugin.spec.ts): what the plugin hands
 * to `ingest` gets the kit's address of that number back, nothing else changed.
 */
function createPlugin(): ChannelPlugin {
  const plugin = createWhatsAppPlugin();
  return {
    ...plugin,
    connect(host) {
      const ingest: ChannelHostConnection['ingest'] = (message, options) =>
        host.ingest({ ...message, from: { ...message.from, address: kitAddressOf.get(message.from.address) ?? message.from.address } }, options);
      return plugin.connect({ ...host, ingest });
    },
  };
}

const settings = () => ({
  phoneNumberId: PHONE_ID,
  businessAccountId: '102290129340398',
  accessToken: 'EAAG-conformance-token-0123456789',
  appSecret: APP_SECRET,
  verifyToken: 'conformance-verify-token',
  graphApiBaseUrl: graph.baseUrl,
  apiVersion: 'v23.0',
});

channelPluginConformance('whatsapp', {
  createPlugin,
  scenario: {
    http: createOutboundHttp({ allowPrivateNetwork: true }),
    beforeAll: async () => {
      await graph.start();
      graph.on('GET', /\/message_templates$/, () => ({ body: { data: [], paging: { cursors: { before: 'a', after: 'b' } } } }));
      // The connection points at the stand-in, whose port is known once it listens.
      connections.splice(0, connections.length, { id: CID, inboxId: INBOX, settings: settings() });
    },
    afterAll: () => graph.stop(),
    get connections() {
      return connections;
    },
    deliverInbound: async (host, message) => {
      const from = waIdOf(message.externalThreadId, message.from.address);
      const delivery = waDelivery([
        waEntry('102290129340398', [
          waChange(PHONE_ID, { messages: [waText(from, message.text, { id: message.externalMessageId })], contacts: { [from]: message.from.name } }),
        ]),
      ]);
      const signed = signWaDelivery(delivery, APP_SECRET);
      const answer = await host.request('POST', '/channels/whatsapp/webhook', { rawBody: signed.raw, headers: signed.headers });
      if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    },
    outbound: {
      thread: { externalThreadId: `${PHONE_ID}:31611111111`, to: { address: '+31611111111', name: 'Visitor' } },
      succeed: async () => {
        graph.on('POST', /\/messages$/, () => ({
          body: {
            messaging_product: 'whatsapp',
            contacts: [{ input: '31611111111', wa_id: '31611111111' }],
            messages: [{ id: `wamid.${Date.now()}${Math.random()}` }],
          },
        }));
      },
      failRetryably: async () => {
        graph.on('POST', /\/messages$/, () => graphError.rateLimited());
      },
      failPermanently: async () => {
        graph.on('POST', /\/messages$/, () => graphError.expiredToken());
      },
    },
  },
});

import type { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { TeamStatus } from '../../../src/plugins/channel-plugin';
import { createChatPlugin } from '../../../src/plugins/chat/chat-plugin';
import { CHAT_STRINGS } from '../../../src/plugins/chat/i18n';
import { FakeHostConnection } from '../../../src/plugins/testing';

/**
 * The chat channel outside the inbox's business hours (issue 14): the session answer and the live
 * availability events carry whether the inbox is open, when it opens next and in which time zone,
 * all from the plugin interface's teamStatus; the widget words it in the visitor's language.
 */
const CID = '7d1c0a52-0000-4000-8000-00000000b4a1';
const INBOX = '0a1b2c3d-0000-4000-8000-0000000000b1';
const base = `/channels/chat/c/${CID}`;

async function setup(team: () => Partial<TeamStatus>, availabilityPollMs?: number) {
  const plugin = createChatPlugin(availabilityPollMs ? { availabilityPollMs } : {});
  const settings = await plugin.connectionSettings!.validate({}, { inboxId: INBOX });
  const host = new FakeHostConnection({ id: 'chat', channel: 'chat' }, {}, { connections: [{ id: CID, inboxId: INBOX, settings }], teamStatus: team });
  await plugin.connect(host.connection);
  host.endConnect();
  return { plugin, host };
}

const closed = { open: false, nextOpenAt: '2026-12-07T08:00:00.000Z', timeZone: 'Europe/Amsterdam' };

describe('chat plugin: business hours', () => {
  it('answers a closed inbox, its next opening and its time zone in the session', async () => {
    const { host } = await setup(() => closed);
    const session = await host.request('POST', `${base}/session`, { body: {} });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ agentsAvailable: true, ...closed });
    expect(host.problems).toEqual([]);
  });

  it('answers open (and no next opening) while the inbox keeps no hours', async () => {
    const { host } = await setup(() => ({}));
    expect((await host.request('POST', `${base}/session`, { body: {} })).body).toMatchObject({ open: true, nextOpenAt: null, timeZone: 'UTC' });
  });

  it('tells a connected visitor when the inbox opens, even when the agents were available all along', async () => {
    let team: Partial<TeamStatus> = closed;
    const { plugin, host } = await setup(() => team, 20);
    await host.startListeners();
    try {
      const session = (await host.request('POST', `${base}/session`, { body: {} })).body as { token: string };
      const opened = await host.request('GET', `${base}/events?token=${encodeURIComponent(session.token)}`);
      let text = '';
      (opened.body as Readable).on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      await new Promise((resolve) => setTimeout(resolve, 60));
      team = { open: true, nextOpenAt: null, timeZone: 'Europe/Amsterdam' };
      const deadline = Date.now() + 2_000;
      while (!text.includes('event: availability') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(text).toContain('event: availability\ndata: {"agentsAvailable":true,"open":true,"nextOpenAt":null,"timeZone":"Europe/Amsterdam"}\n\n');
    } finally {
      await host.stopListeners();
      await plugin.disconnect?.();
    }
  });

  it('has the "we\'re back" words in English and Dutch, with the time as a placeholder, and gives them to the frame', async () => {
    expect(CHAT_STRINGS.en.backAt).toContain('{{when}}');
    expect(CHAT_STRINGS.nl.backAt).toContain('{{when}}');
    expect(CHAT_STRINGS.nl.backAt).toMatch(/^We zijn er weer/);
    expect(CHAT_STRINGS.nl.closedNow).toMatch(/gesloten/);
    const { host } = await setup(() => closed);
    const frame = await host.request('GET', `${base}/frame`, { headers: { 'accept-language': 'nl' } });
    expect(frame.status).toBe(200);
    expect(String(frame.body)).toContain(JSON.stringify(CHAT_STRINGS.nl.backAt).slice(1, -1));
  });
});

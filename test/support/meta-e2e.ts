import { startTestApp, type ManualClock, type TestApp } from './app-harness';

/**
 * Shared setup of the Messenger and WhatsApp e2e specs: a running Parley on a ManualClock whose
 * outbound guard lets the plugin reach FakeGraphApi on loopback, an admin's token and one inbox
 * to connect the channel to.
 */
export async function startAppWithInbox(clock: ManualClock, inboxName: string): Promise<{ t: TestApp; admin: string; inboxId: string }> {
  const t = await startTestApp({ clock, env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true' } });
  const admin = await t.login();
  const inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: inboxName, agentIds: [] } })).body.id as string;
  return { t, admin, inboxId };
}

export { until } from './app-harness';

/** The conversations of an inbox in a channel's view (`/api/views/<channel>/conversations`). */
export async function viewConversations(
  t: TestApp,
  token: string,
  channel: string,
  inboxId: string,
): Promise<{ id: string; contact: { address: string; name: string | null } }[]> {
  const view = await t.request('GET', `/api/views/${channel}/conversations?inboxId=${inboxId}&limit=200`, { token });
  if (view.status !== 200) throw new Error(`the ${channel} view answered ${view.status}: ${JSON.stringify(view.body)}`);
  return view.body.items;
}

import { randomUUID } from 'node:crypto';
import { systemContext } from '../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import { PROCESSOR_CHECKPOINTS, type ProcessorCheckpoints } from '../../src/application/ports/processor-checkpoints.port';
import { AutoAssignConversations } from '../../src/application/process-managers/auto-assign-conversations.saga';
import { streams } from '../../src/application/streams';
import { agentDecider } from '../../src/domain/agent/agent.decider';
import { conversationDecider } from '../../src/domain/conversation/conversation.decider';
import type { RoutingSettings } from '../../src/domain/inbox/inbox.events';
import { createApiChannelPlugin } from '../../src/plugins/api/api-channel.plugin';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * Auto-assignment over HTTP on the embedded engines (issue 14, rule 11): many inbound messages at
 * once through the API channel, agents with different capacities, one away and one offline.
 */
describe('auto-assignment (a running Parley)', () => {
  let t: TestApp;
  let token: string;
  let executor: CommandExecutor;
  let checkpoints: ProcessorCheckpoints;
  let manager: AutoAssignConversations;
  const clock = new ManualClock();
  const agents: Record<'al' | 'bo' | 'cy' | 'dee' | 'eve', string> = { al: '', bo: '', cy: '', dee: '', eve: '' };
  let inboxId: string;

  beforeAll(async () => {
    // The API channel is all this needs (the others add listeners and nothing to routing).
    t = await startTestApp({ clock, builtIns: [() => createApiChannelPlugin()] });
    token = await t.login();
    executor = t.app.get(CommandExecutor);
    checkpoints = t.app.get(PROCESSOR_CHECKPOINTS);
    manager = t.app.get(AutoAssignConversations);
    for (const name of Object.keys(agents) as Array<keyof typeof agents>) {
      const res = await t.request('POST', '/api/agents', {
        token,
        body: { name, email: `${name}@routing.example`, password: 'routing-password-1', role: 'agent' },
      });
      expect(res.status).toBe(201);
      agents[name] = res.body.id;
    }
    const created = await t.request('POST', '/api/inboxes', { token, body: { name: 'Routing', agentIds: Object.values(agents) } });
    expect(created.status).toBe(201);
    inboxId = created.body.id;
  }, 60_000);
  afterAll(() => t?.close());

  const system = () => systemContext();
  /** As an admin sets it in Inbox settings. */
  const setRouting = async (routing: RoutingSettings, inbox = inboxId) => {
    const res = await t.request('PUT', `/api/inboxes/${inbox}/routing`, { token, body: routing });
    expect(res.status).toBe(200);
  };
  const setPresence = (agentId: string, online: boolean) =>
    executor.execute(streams.agent(agentId), agentDecider, { type: 'SetPresence', data: { online, now: clock.now().toISOString() } }, system());
  const setAvailability = (agentId: string, availability: 'available' | 'away') =>
    executor.execute(streams.agent(agentId), agentDecider, { type: 'SetAvailability', data: { availability } }, system());

  /** Until auto-assignment handled every event it handles in the log (it appends its own before recording its progress). */
  async function routingSettled(): Promise<void> {
    const handled = new Set<string>(manager.handles);
    const deadline = Date.now() + 60_000;
    for (let stable = 0; stable < 2;) {
      const events = await executor.store.readAll({ after: 0, maxCount: 1_000_000 });
      const last = events.filter((event) => handled.has(event.type)).at(-1)?.position ?? 0;
      if ((await checkpoints.getProcessorCheckpoint(manager.name)) >= last) stable += 1;
      else stable = 0;
      if (Date.now() > deadline) throw new Error('auto-assignment did not catch up with the log');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function log(): Promise<RecordedEvent[]> {
    return executor.store.readAll({ after: 0, maxCount: 1_000_000 });
  }

  /** Who holds each conversation now, from its stream; 'closed' once closed. */
  async function assignees(ids: string[]): Promise<Map<string, string | null>> {
    const result = new Map<string, string | null>();
    for (const id of ids) {
      let assignee: string | null = null;
      let closed = false;
      for (const event of await executor.store.readStream(streams.conversation(id))) {
        if (event.type === 'ConversationAssigned') assignee = (event.data.assignee as { id?: string }).id ?? 'bot';
        if (event.type === 'ConversationUnassigned') assignee = null;
        if (event.type === 'ConversationClosed') closed = true;
        if (event.type === 'ConversationReopened') closed = false;
      }
      result.set(id, closed ? 'closed' : assignee);
    }
    return result;
  }

  const countBy = (values: Iterable<string | null>) => {
    const counts: Record<string, number> = {};
    for (const value of values) if (value !== null && value !== 'closed') counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  };

  let arrivals: string[] = [];

  it('60 messages at once: exactly the capacities are filled, nobody away or offline gets one, the rest wait oldest first', async () => {
    await setRouting({ mode: 'round-robin', channels: [], defaultCapacity: 5, capacities: { [agents.cy]: 10, [agents.dee]: 10 } });
    for (const name of ['al', 'bo', 'cy', 'dee'] as const) await setPresence(agents[name], true);
    await setAvailability(agents.dee, 'away'); // online, but away (rule 11)
    // eve: available, but offline. The admin: available and online, but not a member of this inbox.
    const admin = await t.request('GET', '/api/me', { token });
    await setPresence(admin.body.id, true);

    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => t.request('POST', '/api/channels/api/messages', { token, body: inbound({ inboxId, subject: `Arrival ${i}` }) })),
    );
    expect(responses.map((res) => res.status)).toEqual(Array(60).fill(201));
    await routingSettled();

    const events = await log();
    const started = events.filter((e) => e.type === 'ConversationStarted' && e.data.inboxId === inboxId);
    arrivals = started.map((e) => String(e.data.conversationId)); // log order: oldest first
    expect(arrivals).toHaveLength(60);

    const now = await assignees(arrivals);
    expect(countBy(now.values())).toEqual({ [agents.al]: 5, [agents.bo]: 5, [agents.cy]: 10 });
    // The 20 oldest went out; the 40 youngest wait, unassigned.
    expect(arrivals.slice(0, 20).every((id) => now.get(id) !== null)).toBe(true);
    expect(arrivals.slice(20).every((id) => now.get(id) === null)).toBe(true);
    // Every auto-assignment in the log: once per conversation, round robin, never to dee or eve.
    const auto = events.filter((e) => e.type === 'ConversationAssigned' && e.data.via === 'round-robin');
    expect(auto).toHaveLength(20);
    expect(new Set(auto.map((e) => e.streamId)).size).toBe(20);
    expect(auto.every((e) => ![agents.dee, agents.eve, admin.body.id].includes((e.data.assignee as { id: string }).id))).toBe(true);
    // The waiting ones are in Unassigned.
    const unassigned = await t.request('GET', `/api/views/unassigned/conversations?inboxId=${inboxId}&limit=200`, { token });
    expect(unassigned.status).toBe(200);
    const listed = new Set((unassigned.body.items as Array<{ id: string }>).map((c) => c.id));
    expect(arrivals.slice(20).every((id) => listed.has(id))).toBe(true);
    expect(arrivals.slice(0, 20).some((id) => listed.has(id))).toBe(false);
  }, 120_000);

  it('closing a conversation hands the oldest waiting one to that agent', async () => {
    const before = await assignees(arrivals);
    const alsFirst = arrivals.find((id) => before.get(id) === agents.al)!;
    const oldestWaiting = arrivals.find((id) => before.get(id) === null)!;
    const closed = await t.request('POST', `/api/conversations/${alsFirst}/close`, { token, body: {} });
    expect(closed.status).toBe(200);
    await routingSettled();
    const after = await assignees(arrivals);
    expect(after.get(oldestWaiting)).toBe(agents.al);
    expect(after.get(alsFirst)).toBe('closed');
    expect(countBy(after.values())).toEqual({ [agents.al]: 5, [agents.bo]: 5, [agents.cy]: 10 });
  }, 60_000);

  it('an agent coming back gets the oldest waiting ones up to their capacity; an agent coming online too; away agents keep theirs', async () => {
    const before = await assignees(arrivals);
    const waiting = arrivals.filter((id) => before.get(id) === null);
    expect(waiting).toHaveLength(39);
    await setAvailability(agents.dee, 'available');
    await routingSettled();
    const afterDee = await assignees(arrivals);
    expect(waiting.slice(0, 10).every((id) => afterDee.get(id) === agents.dee)).toBe(true);
    expect(waiting.slice(10).every((id) => afterDee.get(id) === null)).toBe(true);

    await setPresence(agents.eve, true);
    await routingSettled();
    const afterEve = await assignees(arrivals);
    expect(waiting.slice(10, 15).every((id) => afterEve.get(id) === agents.eve)).toBe(true);
    expect(waiting.slice(15).every((id) => afterEve.get(id) === null)).toBe(true);

    // Rule 11: going away keeps what the agent holds; freeing a place of theirs offers them nothing.
    await setAvailability(agents.bo, 'away');
    const bosFirst = arrivals.find((id) => afterEve.get(id) === agents.bo)!;
    expect((await t.request('POST', `/api/conversations/${bosFirst}/close`, { token, body: {} })).status).toBe(200);
    await routingSettled();
    const afterBo = await assignees(arrivals);
    expect(countBy(afterBo.values())[agents.bo]).toBe(4);
    expect(waiting.slice(15).every((id) => afterBo.get(id) === null)).toBe(true);
    // Going offline likewise.
    await setPresence(agents.cy, false);
    await routingSettled();
    expect(countBy((await assignees(arrivals)).values())[agents.cy]).toBe(10);
  }, 60_000);

  it('round robin, balanced and off: a new arrival goes to the fewest open in balanced mode, to nobody when off', async () => {
    await setAvailability(agents.bo, 'available');
    await setPresence(agents.cy, true);
    await routingSettled();
    // Everyone is full again (bo took the oldest waiting one back); raise al's capacity by one, balanced.
    const before = countBy((await assignees(arrivals)).values());
    expect(before).toEqual({ [agents.al]: 5, [agents.bo]: 5, [agents.cy]: 10, [agents.dee]: 10, [agents.eve]: 5 });
    await setRouting({ mode: 'balanced', channels: [], defaultCapacity: 6, capacities: { [agents.cy]: 10, [agents.dee]: 10 } });
    await routingSettled();
    // al, bo and eve (5 each, capacity 6) get one each of the oldest waiting.
    const balanced = countBy((await assignees(arrivals)).values());
    expect(balanced).toEqual({ [agents.al]: 6, [agents.bo]: 6, [agents.cy]: 10, [agents.dee]: 10, [agents.eve]: 6 });

    await setRouting({ mode: 'off', channels: [], defaultCapacity: 100, capacities: {} });
    const res = await t.request('POST', '/api/channels/api/messages', { token, body: inbound({ inboxId }) });
    expect(res.status).toBe(201);
    await routingSettled();
    expect((await assignees([res.body.conversationId])).get(res.body.conversationId)).toBeNull();

    // On again: the ledger mirrors the inbox afresh, so what waits (also what arrived while off, and
    // the places closed meanwhile) is handed out, oldest first.
    const late = res.body.conversationId as string;
    const waitingBefore = [...(await assignees(arrivals)).entries()].filter(([, agent]) => agent === null).map(([id]) => id);
    await setRouting({ mode: 'round-robin', channels: [], defaultCapacity: 7, capacities: { [agents.cy]: 10, [agents.dee]: 10 } });
    await routingSettled();
    const after = await assignees([...arrivals, late]);
    // al, bo and eve had 6 each: one more each, to the three oldest waiting; the late one still waits.
    expect(countBy(after.values())).toEqual({ [agents.al]: 7, [agents.bo]: 7, [agents.cy]: 10, [agents.dee]: 10, [agents.eve]: 7 });
    expect(waitingBefore.slice(0, 3).every((id) => after.get(id) !== null)).toBe(true);
    expect(after.get(late)).toBeNull();
  }, 60_000);
  it('what routing leaves alone: the bot\u2019s chat until handoff, Spam, a composed email until its answer; then they go out oldest first', async () => {
    const created = await t.request('POST', '/api/inboxes', { token, body: { name: 'Routing two', agentIds: [agents.al] } });
    expect(created.status).toBe(201);
    const second = created.body.id as string;
    await setRouting({ mode: 'round-robin', channels: [], defaultCapacity: 2, capacities: {} }, second);
    const now = () => clock.now().toISOString();
    const receive = (conversationId: string, from: string, extra: { assignToBot?: boolean } = {}) =>
      executor.execute(
        streams.conversation(conversationId),
        conversationDecider,
        {
          type: 'ReceiveInboundMessage',
          data: {
            conversationId,
            inboxId: second,
            channel: 'chat',
            externalThreadId: conversationId,
            externalMessageId: randomUUID(),
            messageId: randomUUID(),
            contactId: randomUUID(),
            from: { address: from },
            to: [],
            subject: 'Hello',
            text: 'Hello',
            attachments: [],
            receivedAt: now(),
            senderBlocked: false,
            now: now(),
            ...extra,
          },
        },
        system(),
      );
    const [withBot, spam, composed, plain] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await receive(withBot, 'visitor-1', { assignToBot: true });
    await receive(spam, 'noreply@shop.example'); // a role address: Spam at once
    await executor.execute(
      streams.conversation(composed),
      conversationDecider,
      {
        type: 'StartOutboundConversation',
        data: {
          conversationId: composed,
          inboxId: second,
          channel: 'chat',
          externalThreadId: composed,
          messageId: randomUUID(),
          contactId: randomUUID(),
          authorId: agents.al,
          to: { address: 'visitor-3' },
          subject: 'Following up',
          text: 'Any news?',
          now: now(),
        },
      },
      system(),
    );
    await routingSettled();
    expect(await assignees([withBot, spam, composed])).toEqual(
      new Map([
        [withBot, 'bot'],
        [spam, null],
        [composed, null],
      ]),
    );

    // The visitor asks for a person: the bot lets go, and routing hands it out.
    await executor.execute(streams.conversation(withBot), conversationDecider, { type: 'RequestBotHandoff', data: { now: now() } }, system());
    await receive(plain, 'visitor-4');
    await receive(composed, 'visitor-3'); // the answer: it waits from now on, after plain
    await routingSettled();
    expect(await assignees([withBot, spam, composed, plain])).toEqual(
      new Map([
        [withBot, agents.al],
        [spam, null],
        [composed, null],
        [plain, agents.al],
      ]),
    );
    // Closing one frees al's place for the composed email's conversation, now waiting.
    expect((await t.request('POST', `/api/conversations/${plain}/close`, { token, body: {} })).status).toBe(200);
    await routingSettled();
    expect((await assignees([composed])).get(composed)).toBe(agents.al);
  }, 60_000);
});

import { CommandBus } from '@nestjs/cqrs';
import { emailIn, ownWords, pickedChoice, planAnswer, planStart } from '../../src/application/bots/flow-bot-plan';
import { FlowBotRuns } from '../../src/application/bots/flow-bot.saga';
import { systemContext } from '../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { ReceiveInboundMessageCommand } from '../../src/application/conversations/receive-inbound-message.handler';
import type { InboundMessage } from '../../src/application/ports/channel.port';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import { READ_STORE, type ReadStore } from '../../src/application/ports/read-store.port';
import { streams } from '../../src/application/streams';
import { botDecider } from '../../src/domain/bot/bot.decider';
import { conversationDecider } from '../../src/domain/conversation/conversation.decider';
import type { BotFlow } from '../../src/domain/bot/bot.events';
import { startTestApp, type TestApp } from '../support/app-harness';

/**
 * The flow bot's process manager against a real Parley (event store, projections, read models),
 * driven by hand: every event it handles is handed to it in log order, as the runner would, and
 * handed again to show that at-least-once handling says nothing twice.
 */
const FLOW: BotFlow = {
  startStepId: 'hello',
  steps: [
    { id: 'hello', type: 'message', text: 'Hi! I am the Parley bot.', next: 'topic' },
    {
      id: 'topic',
      type: 'question',
      text: 'What is it about?',
      choices: [
        { id: 'billing', label: 'Billing', next: 'email' },
        { id: 'person', label: 'Talk to a person', next: 'team' },
      ],
    },
    { id: 'email', type: 'collect-email', text: 'Which email address can we answer you at?', next: 'team' },
    { id: 'team', type: 'handoff', text: 'A team member will take it from here.' },
  ],
};

describe('The flow bot at work (process manager)', () => {
  let t: TestApp;
  let saga: FlowBotRuns;
  let executor: CommandExecutor;
  let commandBus: CommandBus;
  const botId = 'b0000000-0000-4000-8000-000000000001';
  const handled = new Map<string, number>();
  let thread = 0;

  beforeAll(async () => {
    // No background work: the test hands the events to the process manager itself.
    t = await startTestApp({ backgroundWork: false });
    saga = t.app.get(FlowBotRuns);
    executor = t.app.get(CommandExecutor);
    commandBus = t.app.get(CommandBus);
    const inbox = await t.app.get<ReadStore>(READ_STORE).getDefaultInbox();
    const ctx = systemContext();
    await executor.execute(
      streams.bot(botId),
      botDecider,
      {
        type: 'CreateBot',
        data: { botId, inboxId: inbox!.id, name: 'Greeter', kind: 'flow', channels: ['api', 'chat'], flow: FLOW, webhookUrl: null, webhookSecret: null },
      },
      ctx,
    );
    await executor.execute(streams.bot(botId), botDecider, { type: 'ActivateBot', data: {} }, ctx);
  });
  afterAll(() => t.close());

  async function visitor(channel: 'api' | 'chat', threadId: string, text: string, extra: Partial<InboundMessage> = {}): Promise<string> {
    thread += 1;
    const result = await commandBus.execute(
      new ReceiveInboundMessageCommand(
        {
          channel,
          externalThreadId: threadId,
          externalMessageId: `${threadId}:${thread}`,
          from: { address: `visitor-${threadId}`, name: 'Vera Visitor' },
          to: [],
          subject: '',
          text,
          ...extra,
        },
        systemContext(),
      ),
    );
    return result.conversationId as string;
  }

  const events = (conversationId: string) => executor.store.readStream(streams.conversation(conversationId));

  /** Hands the process manager every event of the conversation it has not seen yet, in order (as the runner does). */
  async function runBot(conversationId: string): Promise<void> {
    for (;;) {
      const fresh = (await events(conversationId)).filter((e) => e.revision > (handled.get(conversationId) ?? -1));
      if (fresh.length === 0) return;
      for (const event of fresh) {
        if (saga.handles.includes(event.type as never)) await saga.handle(event);
        handled.set(conversationId, event.revision);
      }
    }
  }

  /** Hands every event of the conversation to the process manager again (a restart from an old checkpoint). */
  async function runAgain(conversationId: string): Promise<void> {
    for (const event of await events(conversationId)) if (saga.handles.includes(event.type as never)) await saga.handle(event);
  }

  const said = (all: RecordedEvent[]) =>
    all.filter((e) => e.type === 'ReplyQueued').map((e) => ({ text: e.data.text, authorId: e.data.authorId, choices: e.data.choices }));

  it('greets, asks with numbered choices where the channel has no buttons, re-asks on free text, collects an email (bad, then good) and hands off', async () => {
    const id = await visitor('api', 'flow-1', 'Hello?');
    const started = await events(id);
    expect(started.find((e) => e.type === 'ConversationAssigned')?.data).toMatchObject({ assignee: { type: 'bot' }, via: 'inbox-bot' });
    await runBot(id);

    const choices = [
      { id: 'billing', label: 'Billing' },
      { id: 'person', label: 'Talk to a person' },
    ];
    const question = 'What is it about?\n\n1. Billing\n2. Talk to a person\n\nReply with the number of your choice.';
    let all = await events(id);
    expect(said(all)).toEqual([
      { text: 'Hi! I am the Parley bot.', authorId: `bot:${botId}`, choices: undefined },
      { text: question, authorId: `bot:${botId}`, choices },
    ]);
    // The bot speaks as the bot, and records where it waits.
    expect(all.filter((e) => e.type === 'ReplyQueued').every((e) => e.metadata.actor.type === 'bot')).toBe(true);
    expect(all.filter((e) => e.type === 'BotFlowAdvanced').map((e) => e.data.stepId)).toEqual(['hello', 'topic']);

    // Free text is no choice: the question again, with its choices.
    await visitor('api', 'flow-1', 'I have a question about my invoice');
    await runBot(id);
    all = await events(id);
    expect(said(all).slice(2)).toEqual([{ text: question, authorId: `bot:${botId}`, choices }]);

    // "1" picks the first choice where the channel has no buttons.
    await visitor('api', 'flow-1', '1');
    await runBot(id);
    all = await events(id);
    expect(said(all).slice(3)).toEqual([{ text: 'Which email address can we answer you at?', authorId: `bot:${botId}`, choices: undefined }]);

    await visitor('api', 'flow-1', 'no thanks');
    await runBot(id);
    all = await events(id);
    expect(said(all).slice(4)).toEqual([
      {
        text: '"no thanks" is not an email address (like name@example.com).\n\nWhich email address can we answer you at?',
        authorId: `bot:${botId}`,
        choices: undefined,
      },
    ]);
    expect(all.some((e) => e.type === 'ContactEmailProvided')).toBe(false);

    await visitor('api', 'flow-1', "Sure, it's Vera@Example.com.");
    await runBot(id);
    all = await events(id);
    expect(all.find((e) => e.type === 'ContactEmailProvided')?.data).toEqual({ address: 'vera@example.com' });
    expect(said(all).slice(5)).toEqual([{ text: 'A team member will take it from here.', authorId: `bot:${botId}`, choices: undefined }]);
    expect(all.find((e) => e.type === 'ConversationUnassigned')?.data).toEqual({ previous: { type: 'bot' }, reason: 'bot-handoff' });
    expect(all.filter((e) => e.type === 'BotHandoffRequested')).toHaveLength(1);

    // At least once: every event handled again writes nothing.
    const before = all.length;
    await runAgain(id);
    await runAgain(id);
    expect(await events(id)).toHaveLength(before);

    // Handed off: the bot says nothing more.
    await visitor('api', 'flow-1', 'Hello? Anyone?');
    await runBot(id);
    expect(said(await events(id))).toHaveLength(6);
  });

  it('offers buttons on a channel that shows them, and a picked button (choiceId) hands off', async () => {
    const id = await visitor('chat', 'flow-2', 'Hi');
    await runBot(id);
    let all = await events(id);
    expect(said(all)[1]).toEqual({
      text: 'What is it about?',
      authorId: `bot:${botId}`,
      choices: [
        { id: 'billing', label: 'Billing' },
        { id: 'person', label: 'Talk to a person' },
      ],
    });
    await visitor('chat', 'flow-2', 'Talk to a person', { choiceId: 'person' });
    await runBot(id);
    all = await events(id);
    expect(all.find((e) => e.type === 'MessageReceived' && e.data.choiceId === 'person')).toBeDefined();
    expect(said(all).map((m) => m.text)).toEqual(['Hi! I am the Parley bot.', 'What is it about?', 'A team member will take it from here.']);
    expect(all.filter((e) => e.type === 'BotHandoffRequested')).toHaveLength(1);
  });

  it("picks a choice by its label in any case, and speaks the visitor's language in its own words", async () => {
    const id = await visitor('api', 'flow-3', 'Hallo', { language: 'nl-NL' });
    await runBot(id);
    expect(said(await events(id))[1]!.text).toBe('What is it about?\n\n1. Billing\n2. Talk to a person\n\nAntwoord met het nummer van uw keuze.');
    await visitor('api', 'flow-3', '  billing ', { language: 'nl' });
    await runBot(id);
    await visitor('api', 'flow-3', 'weet ik niet', { language: 'nl' });
    await runBot(id);
    expect(
      said(await events(id))
        .map((m) => m.text)
        .slice(2),
    ).toEqual([
      'Which email address can we answer you at?',
      '"weet ik niet" is geen e-mailadres (zoals naam@voorbeeld.nl).\n\nWhich email address can we answer you at?',
    ]);
  });

  it('passes over a message written before the current question was asked, and says nothing in a closed conversation', async () => {
    const id = await visitor('api', 'flow-4', 'Hi');
    // Two more messages before the bot got to the first: neither answers the question it asks next.
    await visitor('api', 'flow-4', 'Are you there?');
    await visitor('api', 'flow-4', '2');
    await runBot(id);
    let all = await events(id);
    expect(said(all).map((m) => m.text)).toEqual(['Hi! I am the Parley bot.', expect.stringContaining('What is it about?')]);
    expect(all.some((e) => e.type === 'BotHandoffRequested')).toBe(false);

    // Closed (after the 30 minutes of rule 9 would have to pass): nothing, whatever the visitor writes meanwhile.
    const closed = await visitor('api', 'flow-5', 'Hi');
    const assigned = (await events(closed)).find((e) => e.type === 'ConversationAssigned')!;
    await executor.execute(
      streams.conversation(closed),
      conversationDecider,
      { type: 'CloseConversation', data: { closeTicket: false, now: '2099-01-01T00:00:00.000Z' } },
      systemContext(),
    );
    await saga.handle(assigned);
    all = await events(closed);
    expect(said(all)).toEqual([]);
  });
});

describe('the flow bot plan (what one event makes it do)', () => {
  const context = (flow: BotFlow, buttons = true) => ({ flow, buttons, language: 'en' as const });

  it('a flow that runs out of steps hands off; a loop of messages waits where it would repeat, and the next message goes on', () => {
    const ends: BotFlow = { startStepId: 'hi', steps: [{ id: 'hi', type: 'message', text: 'Hi' }] };
    expect(planStart(context(ends))).toEqual([{ type: 'say', key: 'hi', text: 'Hi' }, { type: 'advance', stepId: 'hi' }, { type: 'handoff' }]);

    const loop: BotFlow = {
      startStepId: 'a',
      steps: [
        { id: 'a', type: 'message', text: 'A', next: 'b' },
        { id: 'b', type: 'message', text: 'B', next: 'a' },
      ],
    };
    expect(planStart(context(loop))).toEqual([
      { type: 'say', key: 'a', text: 'A' },
      { type: 'advance', stepId: 'a' },
      { type: 'say', key: 'b', text: 'B' },
      { type: 'advance', stepId: 'b' },
    ]);
    expect(planAnswer(context(loop), 'b', { text: 'and?' }).slice(0, 2)).toEqual([
      { type: 'say', key: 'a', text: 'A' },
      { type: 'advance', stepId: 'a' },
    ]);
  });

  it('a handoff step hands off before its last words; a step edited away starts the flow again', () => {
    const flow: BotFlow = {
      startStepId: 'team',
      steps: [{ id: 'team', type: 'handoff', text: 'Passing you on.' }],
    };
    expect(planStart(context(flow))).toEqual([{ type: 'advance', stepId: 'team' }, { type: 'handoff' }, { type: 'say', key: 'team', text: 'Passing you on.' }]);
    expect(planAnswer(context(flow), 'gone-step', { text: 'hello' })[0]).toEqual({ type: 'advance', stepId: 'team' });
  });

  it('picks a button by id, by label in any case, by number; reads one email address out of a sentence', () => {
    const step = {
      id: 'q',
      type: 'question' as const,
      text: 'Which?',
      choices: [
        { id: 'a', label: 'Billing', next: 'x' },
        { id: 'b', label: 'Talk to a person', next: 'y' },
      ],
    };
    expect(pickedChoice(step, { text: 'whatever', choiceId: 'b' })?.id).toBe('b');
    expect(pickedChoice(step, { text: '  TALK to a   person ' })?.id).toBe('b');
    expect(pickedChoice(step, { text: '1.' })?.id).toBe('a');
    expect(pickedChoice(step, { text: '3' })).toBeNull();
    expect(pickedChoice(step, { text: 'billing please' })).toBeNull();

    expect(emailIn('Ann@Example.com')).toBe('ann@example.com');
    expect(emailIn("sure, it's <ann@example.com>.")).toBe('ann@example.com');
    expect(emailIn('ann@example.com or bob@example.com')).toBeNull();
    expect(emailIn('ann@localhost')).toBeNull();
    expect(emailIn('tomorrow')).toBeNull();
  });

  it("reads only the visitor's own words of an email answer, not the question it quotes", () => {
    const quoted = '2\n\nOn Mon, 7 Dec 2026 at 10:00, Support <support@acme.test> wrote:\n> What is it about?\n> 1. Billing\n> 2. Talk to a person';
    expect(ownWords(quoted)).toBe('2');
    expect(ownWords('ann@example.com\n-- \nAnn, sent from my phone <ann@work.test>')).toBe('ann@example.com');
    expect(ownWords('Billing\n-----Original Message-----\nFrom: support@acme.test')).toBe('Billing');
    expect(ownWords('just this')).toBe('just this');
    const flow: BotFlow = {
      startStepId: 'q',
      steps: [
        {
          id: 'q',
          type: 'question',
          text: 'What is it about?',
          choices: [
            { id: 'a', label: 'Billing', next: 'e' },
            { id: 'b', label: 'Talk to a person', next: 'h' },
          ],
        },
        { id: 'e', type: 'collect-email', text: 'Your address?', next: 'h' },
        { id: 'h', type: 'handoff' },
      ],
    };
    expect(planAnswer(context(flow, false), 'q', { text: quoted })).toEqual([{ type: 'advance', stepId: 'h' }, { type: 'handoff' }]);
    expect(
      planAnswer(context(flow, false), 'e', { text: 'ann@example.com\n\nOp 7 dec 2026 schreef Support <support@acme.test>:\n> Your address?' })[0],
    ).toEqual({
      type: 'email',
      address: 'ann@example.com',
    });
  });
});

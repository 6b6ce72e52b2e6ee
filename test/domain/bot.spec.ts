import { botDecider as decider, flowStep } from '../../src/domain/bot/bot.decider';
import type { BotCommand, BotEvent, BotFlow, CreateBot } from '../../src/domain/bot/bot.events';
import { given, stateAfter } from '../support/given-when-then';

const flow: BotFlow = {
  startStepId: 'greeting',
  steps: [
    { id: 'greeting', type: 'question', text: 'Hi! How can we help?', choices: [{ id: 'person', label: 'Talk to a person', next: 'handoff' }] },
    { id: 'handoff', type: 'handoff', text: 'One moment.' },
  ],
};
const create = (overrides: Partial<CreateBot['data']> = {}): BotCommand => ({
  type: 'CreateBot',
  data: { botId: 'bot-1', inboxId: 'inbox-1', name: 'Helper', kind: 'flow', channels: [], flow, webhookUrl: null, webhookSecret: null, ...overrides },
});
const created: BotEvent = {
  type: 'BotCreated',
  data: { botId: 'bot-1', inboxId: 'inbox-1', name: 'Helper', kind: 'flow', channels: [], flow, webhookUrl: null, webhookSecret: null },
};
const webhookCreated: BotEvent = {
  type: 'BotCreated',
  data: {
    botId: 'bot-2',
    inboxId: 'inbox-1',
    name: 'Hook',
    kind: 'webhook',
    channels: ['chat'],
    flow: null,
    webhookUrl: 'https://bot.example/in',
    webhookSecret: 'v1:iv:tag:data',
  },
};
const activated: BotEvent = { type: 'BotActivated', data: {} };
const removed: BotEvent = { type: 'BotRemoved', data: { botId: 'bot-1' } };
const HASH = 'ab'.repeat(32);

describe('bot: CreateBot', () => {
  it('creates an inactive flow bot with its flow, a trimmed name and sorted, distinct channels', () => {
    given(decider)
      .when(create({ name: '  Helper ', channels: ['whatsapp', 'chat', 'chat'] }))
      .then([{ ...created, data: { ...created.data, channels: ['chat', 'whatsapp'] } } as BotEvent]);
    expect(stateAfter(decider, created)).toMatchObject({ status: 'created', active: false, tokenHash: null });
  });

  it('creates a webhook bot with its URL and encrypted secret, and no flow even if one is given', () => {
    given(decider)
      .when(
        create({ botId: 'bot-2', name: 'Hook', kind: 'webhook', channels: ['chat'], webhookUrl: 'https://bot.example/in', webhookSecret: 'v1:iv:tag:data' }),
      )
      .then([webhookCreated]);
  });

  it('refuses an unknown kind, an empty name, a bad channel, a webhook without URL or secret, naming each', () => {
    given(decider)
      .when(create({ kind: 'robot' as never }))
      .thenThrows('invalid-input', /kind must be one of flow, webhook, got "robot"/);
    given(decider)
      .when(create({ name: '  ' }))
      .thenThrows('invalid-input', /name must not be empty/);
    given(decider)
      .when(create({ channels: ['Chat!'] }))
      .thenThrows('invalid-input', /channels must name channels .* got "Chat!"/);
    given(decider)
      .when(create({ kind: 'webhook', flow: null, webhookUrl: 'ftp://x', webhookSecret: 's' }))
      .thenThrows('invalid-input', /webhookUrl must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/);
    given(decider)
      .when(create({ kind: 'webhook', flow: null, webhookUrl: 'https://bot.example', webhookSecret: '' }))
      .thenThrows('invalid-input', /webhookSecret must not be empty/);
  });

  it('refuses a second creation with the same id', () => {
    given(decider, created)
      .when(create())
      .thenThrows('conflict', /already exists/);
  });
});

describe('bot: flows', () => {
  it('refuses a flow whose steps do not hold together, naming the field', () => {
    const bad = (steps: unknown[], startStepId = 'a') => create({ flow: { startStepId, steps } as BotFlow });
    given(decider)
      .when(bad([]))
      .thenThrows('invalid-input', /at least one step/);
    given(decider)
      .when(bad([{ id: 'a', type: 'message', text: 'Hi', next: 'b' }]))
      .thenThrows('invalid-input', /steps\[0\]\.next names no step of the flow, got "b"/);
    given(decider)
      .when(bad([{ id: 'a', type: 'handoff' }], 'z'))
      .thenThrows('invalid-input', /startStepId names no step of the flow, got "z"/);
    given(decider)
      .when(
        bad([
          { id: 'a', type: 'handoff' },
          { id: 'a', type: 'handoff' },
        ]),
      )
      .thenThrows('invalid-input', /step id a is used twice/);
    given(decider)
      .when(bad([{ id: 'a', type: 'question', text: 'Which?', choices: [] }]))
      .thenThrows('invalid-input', /steps\[0\]\.choices must offer 1 to 10 buttons/);
    given(decider)
      .when(bad([{ id: 'a', type: 'question', text: 'Which?', choices: [{ id: 'x', label: 'X', next: 'nowhere' }] }]))
      .thenThrows('invalid-input', /steps\[0\]\.choices\[0\]\.next names no step of the flow, got "nowhere"/);
    given(decider)
      .when(bad([{ id: 'a', type: 'collect-email', text: '' }]))
      .thenThrows('invalid-input', /steps\[0\]\.text must not be empty/);
  });

  it('finds a step by id, and none for an id the flow no longer has', () => {
    expect(flowStep(flow, 'handoff')).toEqual({ id: 'handoff', type: 'handoff', text: 'One moment.' });
    expect(flowStep(flow, 'gone')).toBeNull();
  });
});

describe('bot: ChangeBot', () => {
  it('records only what changed; the same values are a no-op', () => {
    given(decider, created)
      .when({ type: 'ChangeBot', data: { name: 'Greeter', channels: [] } })
      .then([{ type: 'BotChanged', data: { name: 'Greeter' } }]);
    given(decider, created)
      .when({ type: 'ChangeBot', data: { name: 'Helper', flow } })
      .then([]);
  });

  it('changes the flow of a flow bot and the webhook of a webhook bot, not the other way round', () => {
    const shorter: BotFlow = { startStepId: 'handoff', steps: [{ id: 'handoff', type: 'handoff' }] };
    given(decider, created)
      .when({ type: 'ChangeBot', data: { flow: shorter } })
      .then([{ type: 'BotChanged', data: { flow: shorter } }]);
    given(decider, created)
      .when({ type: 'ChangeBot', data: { webhookUrl: 'https://bot.example' } })
      .thenThrows('invalid-input', /only on a webhook bot; this one is a flow bot/);
    given(decider, webhookCreated)
      .when({ type: 'ChangeBot', data: { flow: shorter } })
      .thenThrows('invalid-input', /only on a flow bot; this one is a webhook bot/);
    given(decider, webhookCreated)
      .when({ type: 'ChangeBot', data: { webhookSecret: 'v1:new' } })
      .then([{ type: 'BotChanged', data: { webhookSecret: 'v1:new' } }]);
  });
});

describe('bot: activation, token, removal', () => {
  it('activates and deactivates once; repeating either is a no-op', () => {
    given(decider, created).when({ type: 'ActivateBot', data: {} }).then([activated]);
    given(decider, created, activated).when({ type: 'ActivateBot', data: {} }).then([]);
    given(decider, created, activated)
      .when({ type: 'DeactivateBot', data: {} })
      .then([{ type: 'BotDeactivated', data: {} }]);
    given(decider, created).when({ type: 'DeactivateBot', data: {} }).then([]);
  });

  it('keeps only the SHA-256 of a token, with the time it was issued; a new one replaces it', () => {
    given(decider, created)
      .when({ type: 'IssueBotToken', data: { tokenHash: HASH, now: '2026-11-24T10:00:00Z' } })
      .then([{ type: 'BotTokenIssued', data: { tokenHash: HASH, issuedAt: '2026-11-24T10:00:00.000Z' } }]);
    given(decider, created)
      .when({ type: 'IssueBotToken', data: { tokenHash: 'the-token-itself', now: '2026-11-24T10:00:00Z' } })
      .thenThrows('invalid-input', /tokenHash must be the SHA-256 of the token, in hex/);
    const issued = (hash: string): BotEvent => ({ type: 'BotTokenIssued', data: { tokenHash: hash, issuedAt: '2026-11-24T10:00:00.000Z' } });
    expect(stateAfter(decider, created, issued(HASH), issued('cd'.repeat(32)))).toMatchObject({ tokenHash: 'cd'.repeat(32) });
  });

  it('removes a bot; a removed bot can be neither changed nor activated, and an unknown one is not found', () => {
    given(decider, created, activated).when({ type: 'RemoveBot', data: {} }).then([removed]);
    given(decider, created, removed)
      .when({ type: 'ActivateBot', data: {} })
      .thenThrows('invalid-transition', /bot bot-1 was removed/);
    given(decider, created, removed)
      .when({ type: 'ChangeBot', data: { name: 'Back' } })
      .thenThrows('invalid-transition', /was removed/);
    given(decider)
      .when({ type: 'ActivateBot', data: {} })
      .thenThrows('not-found', /bot not found/);
  });
});

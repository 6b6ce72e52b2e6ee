import type { Decider } from '../shared/decider';
import { conflict, invalidInput, invalidTransition, notFound } from '../shared/domain-error';
import { CHANNEL_ID_PATTERN } from '../shared/types';
import { BOT_KINDS, type BotChanged, type BotCommand, type BotEvent, type BotFlow, type BotFlowStep, type BotKind } from './bot.events';

export const BOT_NAME_MAX_LENGTH = 100;
export const BOT_TEXT_MAX_LENGTH = 2000;
export const BOT_CHOICE_LABEL_MAX_LENGTH = 80;
export const BOT_FLOW_MAX_STEPS = 100;
export const BOT_MAX_CHOICES = 10;
const STEP_TYPES: readonly BotFlowStep['type'][] = ['message', 'question', 'collect-email', 'handoff'];
const STEP_ID = /^[A-Za-z0-9_-]{1,40}$/;

export type BotState =
  | { readonly status: 'none' }
  | {
      readonly status: 'created';
      readonly botId: string;
      readonly inboxId: string;
      readonly name: string;
      readonly kind: BotKind;
      readonly channels: readonly string[];
      readonly flow: BotFlow | null;
      readonly webhookUrl: string | null;
      readonly webhookSecret: string | null;
      readonly active: boolean;
      readonly tokenHash: string | null;
    }
  | { readonly status: 'removed'; readonly botId: string };

type ExistingBot = Extract<BotState, { status: 'created' }>;

export const botDecider: Decider<BotCommand, BotEvent, BotState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    if (event.type === 'BotCreated') {
      if (state.status !== 'none') return state;
      return { status: 'created', ...event.data, active: false, tokenHash: null };
    }
    if (state.status !== 'created') return state;
    switch (event.type) {
      case 'BotChanged': {
        const changes = Object.fromEntries(Object.entries(event.data).filter(([, value]) => value !== undefined));
        return { ...state, ...changes };
      }
      case 'BotActivated':
        return { ...state, active: true };
      case 'BotDeactivated':
        return { ...state, active: false };
      case 'BotTokenIssued':
        return { ...state, tokenHash: event.data.tokenHash };
      case 'BotRemoved':
        return { status: 'removed', botId: state.botId };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    if (command.type === 'CreateBot') {
      if (state.status !== 'none') throw conflict('bot-exists', 'bot {{botId}} already exists; create the new bot with a new id', { botId: state.botId });
      const data = command.data;
      if (!(BOT_KINDS as readonly unknown[]).includes(data.kind)) throw oneOf('kind', BOT_KINDS, data.kind);
      const name = validName(data.name);
      const channels = validChannels(data.channels ?? []);
      const flow = data.kind === 'flow' ? validFlow(data.flow) : null;
      if (data.kind === 'webhook') requireWebhook(data.webhookUrl, data.webhookSecret);
      return [
        {
          type: 'BotCreated',
          data: {
            botId: data.botId,
            inboxId: data.inboxId,
            name,
            kind: data.kind,
            channels,
            flow,
            webhookUrl: data.kind === 'webhook' ? data.webhookUrl : null,
            webhookSecret: data.kind === 'webhook' ? data.webhookSecret : null,
          },
        },
      ];
    }
    const bot = existing(state);
    switch (command.type) {
      case 'ChangeBot': {
        const data = command.data;
        const changes: BotChanged['data'] = {};
        if (data.name !== undefined && validName(data.name) !== bot.name) changes.name = validName(data.name);
        if (data.channels !== undefined) {
          const channels = validChannels(data.channels);
          if (channels.join() !== bot.channels.join()) changes.channels = channels;
        }
        if (data.flow !== undefined) {
          if (bot.kind !== 'flow')
            throw invalidInput('bot-flow-not-flow-bot', 'flow can be set only on a flow bot; this one is a {{kind}} bot', { kind: bot.kind });
          const flow = validFlow(data.flow);
          if (JSON.stringify(flow) !== JSON.stringify(bot.flow)) changes.flow = flow;
        }
        if (data.webhookUrl !== undefined || data.webhookSecret !== undefined) {
          if (bot.kind !== 'webhook')
            throw invalidInput('bot-webhook-not-webhook-bot', 'webhookUrl and webhookSecret can be set only on a webhook bot; this one is a {{kind}} bot', {
              kind: bot.kind,
            });
          const url = data.webhookUrl ?? bot.webhookUrl;
          const secret = data.webhookSecret ?? bot.webhookSecret;
          requireWebhook(url, secret);
          if (url !== bot.webhookUrl) changes.webhookUrl = url;
          if (secret !== bot.webhookSecret) changes.webhookSecret = secret;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'BotChanged', data: changes }];
      }
      case 'ActivateBot':
        return bot.active ? [] : [{ type: 'BotActivated', data: {} }];
      case 'DeactivateBot':
        return bot.active ? [{ type: 'BotDeactivated', data: {} }] : [];
      case 'IssueBotToken': {
        if (!/^[0-9a-f]{64}$/.test(command.data.tokenHash ?? ''))
          throw invalidInput('bot-token-hash-invalid', 'tokenHash must be the SHA-256 of the token, in hex');
        if (Number.isNaN(Date.parse(command.data.now)))
          throw invalidInput('field-not-a-time', '{{field}} must be a date and time, got {{value}}', { field: 'now', value: JSON.stringify(command.data.now) });
        return [{ type: 'BotTokenIssued', data: { tokenHash: command.data.tokenHash, issuedAt: new Date(command.data.now).toISOString() } }];
      }
      case 'RemoveBot':
        return [{ type: 'BotRemoved', data: { botId: bot.botId } }];
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'bot',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

/** The step a conversation is at, or null when the flow has no such step (it was edited since). */
export function flowStep(flow: BotFlow, stepId: string): BotFlowStep | null {
  return flow.steps.find((step) => step.id === stepId) ?? null;
}

function existing(state: BotState): ExistingBot {
  if (state.status === 'created') return state;
  if (state.status === 'removed') throw invalidTransition('bot-removed', 'bot {{botId}} was removed', { botId: state.botId });
  throw notFound('bot-not-found', 'bot not found; check the bot id');
}

const oneOf = (field: string, allowed: readonly string[], value: unknown) =>
  invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
    field,
    allowed: allowed.join(', '),
    value: JSON.stringify(value ?? null),
  });

function tooLong(field: string, max: number, length: number) {
  return invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', { field, max, length });
}

function validName(value: string): string {
  const name = (value ?? '').trim();
  if (name === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field: 'name' });
  if (name.length > BOT_NAME_MAX_LENGTH) throw tooLong('name', BOT_NAME_MAX_LENGTH, name.length);
  return name;
}

function validChannels(channels: unknown): string[] {
  if (!Array.isArray(channels))
    throw invalidInput('field-not-list', '{{field}} must be a list, got {{value}}', { field: 'channels', value: JSON.stringify(channels ?? null) });
  for (const channel of channels) {
    if (typeof channel !== 'string' || !CHANNEL_ID_PATTERN.test(channel)) {
      throw invalidInput('routing-channel-invalid', 'channels must name channels (lower-case letters, digits and dashes), got {{value}}', {
        value: JSON.stringify(channel ?? null),
      });
    }
  }
  return [...new Set(channels as string[])].sort();
}

function requireWebhook(url: string | null | undefined, secret: string | null | undefined): void {
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(url)) {
    throw invalidInput('bot-webhook-url-invalid', 'webhookUrl must be an http:// or https:// URL, got {{value}}', { value: JSON.stringify(url ?? null) });
  }
  if (typeof secret !== 'string' || secret === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field: 'webhookSecret' });
}

function validText(value: unknown, field: string, max = BOT_TEXT_MAX_LENGTH): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field });
  if (text.length > max) throw tooLong(field, max, text.length);
  return text;
}

/** Every step reachable by id, every `next` naming a step, ids unique: a flow that cannot dead-end on a missing step. */
export function validFlow(flow: BotFlow | null | undefined): BotFlow {
  if (!flow || typeof flow !== 'object' || !Array.isArray(flow.steps) || flow.steps.length === 0) {
    throw invalidInput('bot-flow-empty', 'flow must have at least one step (the greeting)');
  }
  if (flow.steps.length > BOT_FLOW_MAX_STEPS)
    throw invalidInput('bot-flow-too-long', 'flow may have at most {{max}} steps (it has {{count}})', { max: BOT_FLOW_MAX_STEPS, count: flow.steps.length });
  const ids = new Set<string>();
  for (const [index, step] of flow.steps.entries()) {
    const id = step?.id;
    if (typeof id !== 'string' || !STEP_ID.test(id)) {
      throw invalidInput('bot-step-id-invalid', 'steps[{{index}}].id must be 1 to 40 letters, digits, _ or -, got {{value}}', {
        index,
        value: JSON.stringify(id ?? null),
      });
    }
    if (ids.has(id)) throw invalidInput('bot-step-id-repeated', 'step id {{id}} is used twice; give each step its own id', { id });
    ids.add(id);
  }
  const refer = (next: unknown, field: string) => {
    if (next === undefined || next === null) return undefined;
    if (typeof next !== 'string' || !ids.has(next))
      throw invalidInput('bot-step-next-unknown', '{{field}} names no step of the flow, got {{value}}', { field, value: JSON.stringify(next) });
    return next;
  };
  const steps = flow.steps.map((step, index): BotFlowStep => {
    const at = `steps[${index}]`;
    if (!STEP_TYPES.includes(step.type)) throw oneOf(`${at}.type`, STEP_TYPES, step.type);
    switch (step.type) {
      case 'message': {
        const next = refer(step.next, `${at}.next`);
        return { id: step.id, type: 'message', text: validText(step.text, `${at}.text`), ...(next ? { next } : {}) };
      }
      case 'collect-email': {
        const next = refer(step.next, `${at}.next`);
        return { id: step.id, type: 'collect-email', text: validText(step.text, `${at}.text`), ...(next ? { next } : {}) };
      }
      case 'question': {
        if (!Array.isArray(step.choices) || step.choices.length === 0 || step.choices.length > BOT_MAX_CHOICES) {
          throw invalidInput('bot-question-choices', '{{field}} must offer 1 to {{max}} buttons', { field: `${at}.choices`, max: BOT_MAX_CHOICES });
        }
        const choiceIds = new Set<string>();
        const choices = step.choices.map((choice, c) => {
          const field = `${at}.choices[${c}]`;
          if (typeof choice?.id !== 'string' || !STEP_ID.test(choice.id) || choiceIds.has(choice.id)) {
            throw invalidInput('bot-choice-id-invalid', '{{field}}.id must be a unique 1 to 40 letters, digits, _ or -, got {{value}}', {
              field,
              value: JSON.stringify(choice?.id ?? null),
            });
          }
          choiceIds.add(choice.id);
          const next = refer(choice.next, `${field}.next`);
          if (!next)
            throw invalidInput('bot-step-next-unknown', '{{field}} names no step of the flow, got {{value}}', {
              field: `${field}.next`,
              value: JSON.stringify(choice.next ?? null),
            });
          return { id: choice.id, label: validText(choice.label, `${field}.label`, BOT_CHOICE_LABEL_MAX_LENGTH), next };
        });
        return { id: step.id, type: 'question', text: validText(step.text, `${at}.text`), choices };
      }
      case 'handoff': {
        const text = typeof step.text === 'string' && step.text.trim() !== '' ? validText(step.text, `${at}.text`) : undefined;
        return { id: step.id, type: 'handoff', ...(text ? { text } : {}) };
      }
    }
  });
  if (typeof flow.startStepId !== 'string' || !ids.has(flow.startStepId)) {
    throw invalidInput('bot-step-next-unknown', '{{field}} names no step of the flow, got {{value}}', {
      field: 'startStepId',
      value: JSON.stringify(flow.startStepId ?? null),
    });
  }
  return { startStepId: flow.startStepId, steps };
}

import { flowStep } from '../../domain/bot/bot.decider';
import type { BotFlow, BotFlowStep } from '../../domain/bot/bot.events';
import type { ReplyChoice } from '../../domain/conversation/conversation.events';
import { FLOW_BOT_TEXTS, type FlowBotLanguage } from './flow-bot-texts';

/**
 * What the flow bot does in answer to one event, decided without any I/O (the process manager
 * carries it out): say something (a reply, `key` names it so its message id is derived from the
 * causing event and the key), move to a step, record the visitor's email, hand off to the team.
 */
export type FlowBotAction =
  | { type: 'say'; key: string; text: string; choices?: ReplyChoice[] }
  | { type: 'advance'; stepId: string }
  | { type: 'email'; address: string }
  | { type: 'handoff' };

export interface FlowBotContext {
  flow: BotFlow;
  /** The conversation's channel shows buttons (the `choices` capability); otherwise they are listed in the text. */
  buttons: boolean;
  language: FlowBotLanguage;
}

/** The bot took a new conversation: its flow starts at the greeting. */
export function planStart(context: FlowBotContext): FlowBotAction[] {
  return runFrom(context, context.flow.startStepId);
}

/**
 * The visitor wrote (or picked a button) while the bot waits at `currentStepId`:
 * - question: the picked button (by choiceId, else the label's text in any case, else its number),
 *   and the flow goes on at the choice's step; anything else asks the question again;
 * - collect-email: an email address in the message is recorded and the flow goes on; otherwise it
 *   asks again, saying why;
 * - message (a flow that stopped at a loop): goes on to its next step.
 * A step that no longer exists (the flow was edited meanwhile) starts the flow again.
 */
export function planAnswer(context: FlowBotContext, currentStepId: string, received: { text: string; choiceId?: string }): FlowBotAction[] {
  // An email answer quotes the bot's question below it: only the visitor's own words count.
  const message = { ...received, text: ownWords(received.text) || received.text };
  const step = flowStep(context.flow, currentStepId);
  if (!step) return runFrom(context, context.flow.startStepId);
  switch (step.type) {
    case 'question': {
      const choice = pickedChoice(step, message);
      if (choice) return runFrom(context, choice.next);
      return [say(context, `reask-${step.id}`, step.text, step.choices)];
    }
    case 'collect-email': {
      const address = emailIn(message.text);
      if (address === null) {
        const why = FLOW_BOT_TEXTS[context.language].notAnEmail.replace('{{value}}', JSON.stringify(shortened(message.text)));
        return [{ type: 'say', key: `reask-${step.id}`, text: `${why}\n\n${step.text}` }];
      }
      return [{ type: 'email', address }, ...(step.next ? runFrom(context, step.next) : [{ type: 'handoff' } as const])];
    }
    case 'message':
      return step.next ? runFrom(context, step.next) : [{ type: 'handoff' }];
    case 'handoff':
      // Handed off already: the bot no longer holds the conversation, so this is not reached.
      return [];
  }
}

/**
 * Runs steps from `stepId` until the flow waits: a message says its text and goes on at once; a
 * question (with buttons) or collect-email says its text and waits; a handoff sends the
 * conversation to the team and says its text, if any. A flow that runs out of steps (a message or
 * collect-email without `next`) hands off too: the visitor is never left talking to nobody. A loop
 * of message steps stops where it would repeat itself and waits for the visitor there.
 */
function runFrom(context: FlowBotContext, stepId: string): FlowBotAction[] {
  const actions: FlowBotAction[] = [];
  const visited = new Set<string>();
  let id: string | undefined = stepId;
  while (id !== undefined && !visited.has(id)) {
    visited.add(id);
    const step: BotFlowStep | null = flowStep(context.flow, id);
    if (!step) {
      actions.push({ type: 'handoff' });
      break;
    }
    id = undefined;
    switch (step.type) {
      case 'message':
        actions.push({ type: 'say', key: step.id, text: step.text }, { type: 'advance', stepId: step.id });
        if (step.next) id = step.next;
        else actions.push({ type: 'handoff' });
        break;
      case 'question':
        actions.push(say(context, step.id, step.text, step.choices), { type: 'advance', stepId: step.id });
        break;
      case 'collect-email':
        actions.push({ type: 'say', key: step.id, text: step.text }, { type: 'advance', stepId: step.id });
        break;
      case 'handoff':
        // Handed off first, then its words: when they reach the visitor, the bot no longer holds the chat.
        actions.push({ type: 'advance', stepId: step.id }, { type: 'handoff' });
        if (step.text) actions.push({ type: 'say', key: step.id, text: step.text });
        break;
    }
  }
  return actions;
}

/** A question with its buttons; where the channel cannot show them they are numbered in the text as well. */
function say(context: FlowBotContext, key: string, text: string, choices: readonly { id: string; label: string }[]): FlowBotAction {
  const buttons = choices.map(({ id, label }) => ({ id, label }));
  if (context.buttons) return { type: 'say', key, text, choices: buttons };
  const list = buttons.map((choice, index) => `${index + 1}. ${choice.label}`).join('\n');
  return { type: 'say', key, text: `${text}\n\n${list}\n\n${FLOW_BOT_TEXTS[context.language].answerWithNumber}`, choices: buttons };
}

/** The button the visitor picked: by its id, by its label (any case, spaces trimmed), or by its number in the list. */
export function pickedChoice(step: Extract<BotFlowStep, { type: 'question' }>, message: { text: string; choiceId?: string }) {
  if (message.choiceId !== undefined) {
    const byId = step.choices.find((choice) => choice.id === message.choiceId);
    if (byId) return byId;
  }
  const said = normalised(message.text);
  const byLabel = step.choices.find((choice) => normalised(choice.label) === said);
  if (byLabel) return byLabel;
  const number = /^(\d{1,2})[.)]?$/.exec(said);
  if (number) return step.choices[Number(number[1]) - 1] ?? null;
  return null;
}

/**
 * The visitor's own words of a message: the lines before a quoted earlier message (lines starting
 * with ">", an "On … wrote:" line, an "Original message" divider) or a signature ("-- ").
 */
export function ownWords(text: string): string {
  const kept: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('>') || /^-- ?$/.test(line) || QUOTE_HEADER.test(trimmed) || DIVIDER.test(trimmed)) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

const QUOTE_HEADER = /^(on|op|am|le)\s.*\s(wrote|schreef|schrieb|a écrit)(\s.*)?:$/i;
const DIVIDER = /^-{2,}\s*(original message|oorspronkelijk bericht|forwarded message|doorgestuurd bericht)/i;

const normalised = (text: string) => text.trim().replace(/\s+/g, ' ').toLocaleLowerCase();

const EMAIL = /^[^\s@<>"(),;:[\]]+@[^\s@<>"(),;:[\]]+\.[^\s@<>"(),;:[\]]{2,}$/;

/**
 * The email address in the visitor's answer: the whole answer, or the one word of it that is an
 * address ("it's ann@example.com"); null when there is none, or more than one.
 */
export function emailIn(text: string): string | null {
  const trimmed = text.trim().replace(/^mailto:/i, '');
  if (EMAIL.test(trimmed) && trimmed.length <= 254) return trimmed.toLowerCase();
  const words = text
    .split(/\s+/)
    .map((word) => word.replace(/^[<("']+|[>)"'.,;:!?]+$/g, '').replace(/^mailto:/i, ''))
    .filter((word) => EMAIL.test(word) && word.length <= 254);
  const distinct = [...new Set(words.map((word) => word.toLowerCase()))];
  return distinct.length === 1 ? distinct[0]! : null;
}

function shortened(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

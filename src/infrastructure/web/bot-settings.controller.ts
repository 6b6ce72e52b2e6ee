import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ActivateBotCommand,
  ChangeBotCommand,
  CreateBotCommand,
  DeactivateBotCommand,
  IssueBotTokenCommand,
  RemoveBotCommand,
  type BotAnswer,
  type BotChanges,
} from '../../application/bots/bot-commands.handler';
import { ListBotsQuery } from '../../application/bots/bot-queries.handler';
import { defaultBotFlow, type BotView } from '../../application/bots/bot-view';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../../application/ports/channel-catalog.port';
import type { InboxRecord } from '../../application/ports/read-store.port';
import { BOT_KINDS, type BotFlow, type BotFlowChoice, type BotFlowStep, type BotKind } from '../../domain/bot/bot.events';
import { uuidParam } from '../http/controllers/params';
import { CurrentAgent } from '../http/auth/auth.decorators';
import { describeError } from '../http/describe-error';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { InboxPresenter } from './inbox-presenter';
import { channelLabel } from './inbox-screen';
import { WebExceptionFilter } from './web-exception.filter';
import { field, fields, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { assertSameOrigin } from './web-security';

const STEP_TYPES: readonly BotFlowStep['type'][] = ['message', 'question', 'collect-email', 'handoff'];
/** Empty rows the flow editor offers: new steps, and new buttons per step. */
const NEW_STEP_ROWS = 2;
const NEW_CHOICE_ROWS = 2;

/** A flow as the editor has it (possibly refused): every value as typed. */
interface DraftStep {
  id: string;
  type: string;
  text: string;
  next: string;
  choices: Array<{ id: string; label: string; next: string }>;
}
interface DraftFlow {
  startStepId: string;
  steps: DraftStep[];
}

interface SectionState {
  notice?: string;
  error?: string;
  /** A secret or token shown this once. */
  shown?: { label: string; value: string };
  /** The form of this bot as typed, when its save was refused. */
  draft?: { botId: string; name: string; channels: string[]; webhookUrl: string; flow: DraftFlow | null };
}

const draftOf = (flow: BotFlow): DraftFlow => ({
  startStepId: flow.startStepId,
  steps: flow.steps.map((step) => ({
    id: step.id,
    type: step.type,
    text: step.text ?? '',
    next: 'next' in step ? (step.next ?? '') : '',
    choices: step.type === 'question' ? step.choices.map((c) => ({ id: c.id, label: c.label, next: c.next })) : [],
  })),
});

/**
 * The Settings page's "Bot" section (partial settings-bot, admins): the inbox's bots, activate /
 * deactivate, the API token and a new webhook signing secret shown once, and the flow editor — one
 * row per step (type, text, next step) with its buttons (label, next step). The page fetches the
 * section with htmx; every form answers the section again. The same commands as `/api/bots`.
 */
@Controller('settings/bots')
@UseFilters(WebExceptionFilter)
export class BotSettingsController {
  constructor(
    private readonly presenter: InboxPresenter,
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
  ) {}

  @Get()
  async section(
    @Query('inbox') inboxId: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    sendHtml(reply, await this.render(inbox, agent, locale));
  }

  /** A new bot: a flow bot starts with the default flow in the admin's language; a webhook bot's generated secret is shown once. */
  @Post()
  async create(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    const kind = field(body, 'kind') as BotKind;
    await this.act(reply, inbox, agent, locale, async () => {
      const created = (await this.commandBus.execute(
        new CreateBotCommand(
          inbox.id,
          {
            name: field(body, 'name'),
            kind,
            channels: fields(body, 'channels'),
            ...(kind === 'flow' ? { flow: defaultBotFlow(locale.language) } : {}),
            ...(kind === 'webhook' ? { webhookUrl: field(body, 'webhookUrl'), webhookSecret: field(body, 'webhookSecret') || null } : {}),
          },
          agentContext(agent),
        ),
      )) as BotAnswer;
      return { notice: locale.t('botSettings.created', { name: created.name }), ...this.secretShown(created, locale) };
    });
  }

  @Post(':id/:action')
  async action(
    @Param('id', uuidParam('id')) botId: string,
    @Param('action') action: string,
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    const bots = (await this.queryBus.execute(new ListBotsQuery(agent, inbox.id))) as BotView[];
    const bot = bots.find((candidate) => candidate.id === botId);
    if (!bot) return sendHtml(reply, await this.render(inbox, agent, locale, { error: locale.t('botSettings.unknown') }), 404);
    const ctx = agentContext(agent);
    switch (action) {
      case 'activate':
        return this.act(reply, inbox, agent, locale, async () => {
          await this.commandBus.execute(new ActivateBotCommand(bot.id, ctx));
          return { notice: locale.t('botSettings.activated', { name: bot.name }) };
        });
      case 'deactivate':
        return this.act(reply, inbox, agent, locale, async () => {
          await this.commandBus.execute(new DeactivateBotCommand(bot.id, ctx));
          return { notice: locale.t('botSettings.deactivated', { name: bot.name }) };
        });
      case 'token':
        return this.act(reply, inbox, agent, locale, async () => {
          const { token } = (await this.commandBus.execute(new IssueBotTokenCommand(bot.id, ctx))) as { token: string };
          return { shown: { label: locale.t('botSettings.tokenShown', { name: bot.name }), value: token } };
        });
      case 'remove':
        return this.act(reply, inbox, agent, locale, async () => {
          await this.commandBus.execute(new RemoveBotCommand(bot.id, ctx));
          return { notice: locale.t('botSettings.removed', { name: bot.name }) };
        });
      case 'save': {
        const draft: NonNullable<SectionState['draft']> = {
          botId: bot.id,
          name: field(body, 'name'),
          channels: fields(body, 'channels'),
          webhookUrl: field(body, 'webhookUrl'),
          // A form without the flow editor (startStepId) leaves the flow as it is.
          flow: bot.kind === 'flow' && field(body, 'startStepId') !== '' ? flowDraftFrom(body) : null,
        };
        return this.act(
          reply,
          inbox,
          agent,
          locale,
          async () => {
            const changes: BotChanges = { name: draft.name, channels: draft.channels };
            if (bot.kind === 'flow' && draft.flow) changes.flow = flowFromDraft(draft.flow);
            if (bot.kind === 'webhook') {
              changes.webhookUrl = draft.webhookUrl;
              if (field(body, 'webhookSecret')) changes.webhookSecret = field(body, 'webhookSecret');
              if (field(body, 'newWebhookSecret') === 'true') changes.newWebhookSecret = true;
            }
            const saved = (await this.commandBus.execute(new ChangeBotCommand(bot.id, changes, ctx))) as BotAnswer;
            return { notice: locale.t('botSettings.saved', { name: saved.name }), ...this.secretShown(saved, locale) };
          },
          draft,
        );
      }
      default:
        return sendHtml(reply, await this.render(inbox, agent, locale, { error: locale.t('botSettings.unknownAction', { action }) }), 404);
    }
  }

  /** Runs a command and answers the section: with its notice, or with the refusal (and the form as typed). */
  private async act(
    reply: FastifyReply,
    inbox: InboxRecord,
    agent: AuthenticatedAgent,
    locale: Locale,
    run: () => Promise<SectionState>,
    draft?: SectionState['draft'],
  ): Promise<void> {
    try {
      const state = await run();
      sendHtml(reply, await this.render(inbox, agent, locale, state));
    } catch (error) {
      const described = describeError(error, locale);
      if (described.statusCode >= 500 || described.statusCode === 403) throw error;
      const message = Array.isArray(described.message) ? described.message.join('; ') : described.message;
      sendHtml(reply, await this.render(inbox, agent, locale, { error: message, draft }), described.statusCode);
    }
  }

  private secretShown(answer: BotAnswer, locale: Locale): Pick<SectionState, 'shown'> {
    return answer.webhookSecret ? { shown: { label: locale.t('botSettings.secretShown', { name: answer.name }), value: answer.webhookSecret } } : {};
  }

  private async render(inbox: InboxRecord, agent: AuthenticatedAgent, locale: Locale, state: SectionState = {}): Promise<string> {
    const bots = (await this.queryBus.execute(new ListBotsQuery(agent, inbox.id))) as BotView[];
    const known = this.catalog.knownChannels();
    const channelBoxes = (checked: readonly string[]) =>
      [...new Set([...known, ...checked])].map((channel) => ({ value: channel, label: channelLabel(channel, locale), checked: checked.includes(channel) }));
    return this.renderer.fragment('settings-bot', {
      locale,
      inboxId: inbox.id,
      notice: state.notice,
      error: state.error,
      shown: state.shown,
      kinds: BOT_KINDS.map((kind) => ({ value: kind, label: locale.t(`botSettings.kinds.${kind}`) })),
      createChannels: channelBoxes([]),
      bots: bots.map((bot) => {
        const draft = state.draft?.botId === bot.id ? state.draft : undefined;
        const channels = draft?.channels ?? bot.channels;
        const flow = draft?.flow ?? (bot.flow ? draftOf(bot.flow) : null);
        return {
          id: bot.id,
          name: draft?.name ?? bot.name,
          kindLabel: locale.t(`botSettings.kinds.${bot.kind}`),
          isWebhook: bot.kind === 'webhook',
          active: bot.active,
          hasToken: bot.hasToken,
          webhookUrl: draft?.webhookUrl ?? bot.webhookUrl ?? '',
          channelsText:
            bot.channels.length === 0
              ? locale.t('botSettings.takesChatOnly')
              : locale.t('botSettings.takes', { channels: bot.channels.map((c) => channelLabel(c, locale)).join(', ') }),
          channels: channelBoxes(channels),
          flow: flow ? flowView(flow, locale) : null,
        };
      }),
    });
  }
}

/** The editor's rows: the steps as they are plus empty ones for new steps; each step's buttons plus empty ones. */
function flowView(flow: DraftFlow, locale: Locale) {
  const blank = (): DraftStep => ({ id: '', type: 'message', text: '', next: '', choices: [] });
  const rows = [...flow.steps, ...Array.from({ length: NEW_STEP_ROWS }, blank)];
  return {
    startStepId: flow.startStepId,
    stepIds: flow.steps.map((step) => step.id).filter((id) => id !== ''),
    steps: rows.map((step, index) => ({
      index,
      id: step.id,
      text: step.text,
      next: step.next,
      // A question's buttons show open; other steps keep theirs folded (they count only for questions).
      showChoices: step.type === 'question' || step.choices.length > 0,
      types: STEP_TYPES.map((type) => ({ value: type, label: locale.t(`botSettings.stepTypes.${type}`), selected: type === step.type })),
      choices: [...step.choices, ...Array.from({ length: NEW_CHOICE_ROWS }, () => ({ id: '', label: '', next: '' }))].map((choice, c) => ({
        index: c,
        ...choice,
      })),
    })),
  };
}

/** The flow as the form sent it: rows without id and text (the empty ones) and rows ticked "remove" are left out. */
function flowDraftFrom(body: FormBody): DraftFlow {
  const indexes = (pattern: RegExp) =>
    [...new Set(Object.keys(body ?? {}).flatMap((key) => (pattern.exec(key) ? [Number(pattern.exec(key)![1])] : [])))].sort((a, b) => a - b);
  const steps: DraftStep[] = [];
  for (const i of indexes(/^step\.(\d+)\.id$/)) {
    const at = (name: string) => field(body, `step.${i}.${name}`);
    if (at('remove') === 'true' || (at('id') === '' && at('text') === '')) continue;
    const choices = indexes(new RegExp(`^step\\.${i}\\.choice\\.(\\d+)\\.label$`))
      .map((c) => ({ id: at(`choice.${c}.id`), label: at(`choice.${c}.label`), next: at(`choice.${c}.next`) }))
      .filter((choice) => choice.label !== '' || choice.next !== '');
    steps.push({ id: at('id') || `step-${i + 1}`, type: at('type'), text: field(body, `step.${i}.text`), next: at('next'), choices });
  }
  return { startStepId: field(body, 'startStepId'), steps };
}

/** The draft as a BotFlow for the domain, which checks it and names the field that is wrong. */
function flowFromDraft(draft: DraftFlow): BotFlow {
  return {
    startStepId: draft.startStepId,
    steps: draft.steps.map((step): BotFlowStep => {
      const next = step.next === '' ? {} : { next: step.next };
      switch (step.type) {
        case 'question': {
          const used = new Set(step.choices.map((choice) => choice.id).filter((id) => id !== ''));
          const choices = step.choices.map((choice, c): BotFlowChoice => {
            let id = choice.id;
            for (let n = c + 1; id === ''; n += 1) if (!used.has(`b${n}`)) used.add((id = `b${n}`));
            return { id, label: choice.label, next: choice.next };
          });
          return { id: step.id, type: 'question', text: step.text, choices };
        }
        case 'collect-email':
          return { id: step.id, type: 'collect-email', text: step.text, ...next };
        case 'handoff':
          return { id: step.id, type: 'handoff', ...(step.text ? { text: step.text } : {}) };
        default:
          return { id: step.id, type: step.type as 'message', text: step.text, ...next };
      }
    }),
  };
}

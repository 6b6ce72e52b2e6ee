import { Inject, Injectable } from '@nestjs/common';
import { agentDecider } from '../../domain/agent/agent.decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { PRESENCE_SETTINGS, PRESENCE_STORE, type PresenceSettings, type PresenceStore } from './presence-store.port';

/** A heartbeat arrived while the sweeper was deciding: the agent stays online. */
class SeenAgain extends Error {}

/**
 * Records agents offline (rule 11: offline agents are offered nothing new). Runs on one instance
 * (the projector-lease holder, or the only process) every sweepEveryMs: an agent the read model
 * shows online goes offline once nobody has seen them for the grace period, counted from the
 * latest of
 * - their last heartbeat on any instance (a closed tab, or an instance that died and stopped beating),
 * - the moment they went online (a store that lost its rows),
 * - the moment this sweeper started (after a restart, the browsers get the grace period to reconnect).
 *
 * Right before writing, the store is read again (the command's guard), so a stream opening while
 * the sweeper decides keeps its agent online; should one still slip between, the next heartbeat
 * records the agent online again.
 */
@Injectable()
export class PresenceSweeper {
  private timer: NodeJS.Timeout | null = null;
  private startedAt: Date | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(PRESENCE_STORE) private readonly store: PresenceStore,
    @Inject(PRESENCE_SETTINGS) private readonly settings: PresenceSettings,
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** For Storage.runExclusively: sweeps while this instance holds the work. */
  work(): { name: string; start(): void; stop(): Promise<void> } {
    return { name: 'presence-sweeper', start: () => this.start(), stop: () => this.stop() };
  }

  start(): void {
    if (this.timer) return;
    this.startedAt = this.executor.now();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sweep()).catch((err: unknown) => this.logger.warn({ err }, 'presence: a sweep failed'));
    }, this.settings.sweepEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.startedAt = null;
    await this.running;
  }

  /** One sweep: records offline the agents gone for the grace period; returns their ids. */
  async sweep(): Promise<string[]> {
    const now = this.executor.now().getTime();
    const { graceMs } = this.settings;
    const online = (await this.readStore.listAgents()).filter((agent) => agent.online);
    const wentOffline: string[] = [];
    if (online.length > 0) {
      const seen = await this.store.lastSeen(online.map((agent) => agent.id));
      for (const agent of online) {
        const since = Math.max(
          seen.get(agent.id)?.getTime() ?? -Infinity,
          agent.onlineChangedAt ? Date.parse(agent.onlineChangedAt) : -Infinity,
          this.startedAt?.getTime() ?? -Infinity,
        );
        if (now - since < graceMs) continue;
        if (await this.recordOffline(agent.id)) wentOffline.push(agent.id);
      }
    }
    // Rows past the grace period keep nobody online; a live instance writes its own again.
    await this.store.prune(new Date(now - graceMs));
    return wentOffline;
  }

  private async recordOffline(agentId: string): Promise<boolean> {
    try {
      const outcome = await this.executor.execute(
        streams.agent(agentId),
        agentDecider,
        () => ({ type: 'SetPresence' as const, data: { online: false, now: this.executor.now().toISOString() } }),
        systemContext(),
        async () => {
          const last = (await this.store.lastSeen([agentId])).get(agentId);
          if (last && this.executor.now().getTime() - last.getTime() < this.settings.graceMs) throw new SeenAgain();
        },
      );
      if (outcome.events.length > 0) this.logger.debug({ agentId }, 'presence: offline');
      return outcome.events.length > 0;
    } catch (err) {
      if (!(err instanceof SeenAgain)) this.logger.warn({ err, agentId }, 'presence: could not record an agent offline');
      return false;
    }
  }
}

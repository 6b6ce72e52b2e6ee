import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { agentDecider } from '../../domain/agent/agent.decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { PRESENCE_SETTINGS, PRESENCE_STORE, type PresenceBeat, type PresenceSettings, type PresenceStore } from './presence-store.port';

/** One open live stream of an agent on this instance. */
export interface PresenceHandle {
  /** Resolves once the stream is in the shared store and the agent is recorded online (never rejects). */
  readonly recorded: Promise<void>;
  /** The stream closed (idempotent): the agent's count on this instance goes down. */
  release(): void;
}

/**
 * This instance's part of presence (who has Parley open). It counts the live streams
 * (GET /events) per agent and writes them to the shared PresenceStore: at once when a stream opens
 * or an agent's last stream closes here, and every `heartbeatMs` while streams are open (an
 * instance that stops beating stops keeping its agents online). The first stream records
 * `SetPresence online` at once; each heartbeat does so again for an agent the read model shows
 * offline (the sweeper may have raced a stream that opened as it decided).
 *
 * Going offline is not decided here (docs/presence.md): the PresenceSweeper (one instance) records it once an agent
 * has not been seen anywhere for the grace period, so a reload or a short drop does not flap.
 */
@Injectable()
export class PresenceTracker implements OnApplicationShutdown {
  /** agentId -> open streams on this instance (absent: none). */
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  /** The store's writes, one after the other, in the order the streams changed. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    @Inject(PRESENCE_STORE) private readonly store: PresenceStore,
    @Inject(PRESENCE_SETTINGS) private readonly settings: PresenceSettings,
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** A live stream of the agent opened on this instance. */
  open(agentId: string): PresenceHandle {
    const count = (this.counts.get(agentId) ?? 0) + 1;
    this.counts.set(agentId, count);
    this.startBeating();
    const recorded = this.write([{ agentId, openStreams: count }]).then(() => this.markOnline([agentId]));
    let released = false;
    return {
      recorded,
      release: () => {
        if (released) return;
        released = true;
        this.closed(agentId);
      },
    };
  }

  /** Open streams on this instance, per agent (diagnostics and tests). */
  openStreams(): Map<string, number> {
    return new Map(this.counts);
  }

  /**
   * Refreshes this instance's rows for every agent with an open stream, and records online any of
   * them the read model shows offline. Runs every heartbeatMs while streams are open.
   */
  async beat(): Promise<void> {
    const beats = [...this.counts].map(([agentId, openStreams]) => ({ agentId, openStreams }));
    if (beats.length === 0) return;
    await this.write(beats);
    await this.markOnline(beats.map((beat) => beat.agentId));
  }

  /** Resolves once every write asked for so far is done (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.writes;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopBeating();
    await this.writes;
  }

  private closed(agentId: string): void {
    const count = (this.counts.get(agentId) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(agentId, count);
      void this.write([{ agentId, openStreams: count }]);
      return;
    }
    this.counts.delete(agentId);
    if (this.counts.size === 0) this.stopBeating();
    // The grace period runs from now: the last time this instance saw the agent.
    void this.write([{ agentId, openStreams: 0 }]);
  }

  private write(beats: PresenceBeat[]): Promise<void> {
    const at = this.executor.now();
    this.writes = this.writes
      .then(() => this.store.record(this.settings.instanceId, beats, at))
      .catch((err: unknown) => this.logger.warn({ err, agents: beats.length }, 'presence: could not record a heartbeat'));
    return this.writes;
  }

  /** SetPresence online for those of these agents the read model shows offline. Never rejects. */
  private async markOnline(agentIds: string[]): Promise<void> {
    try {
      const wanted = new Set(agentIds);
      const offline = (await this.readStore.listAgents()).filter((agent) => wanted.has(agent.id) && !agent.online);
      for (const agent of offline) {
        // Only while a stream is still open: one that closed meanwhile does not bring the agent back.
        if (!this.counts.has(agent.id)) continue;
        await this.executor.execute(
          streams.agent(agent.id),
          agentDecider,
          { type: 'SetPresence', data: { online: true, now: this.executor.now().toISOString() } },
          systemContext(),
        );
        this.logger.debug({ agentId: agent.id }, 'presence: online');
      }
    } catch (err) {
      this.logger.warn({ err }, 'presence: could not record an agent online');
    }
  }

  private startBeating(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.settings.heartbeatMs);
    this.timer.unref();
  }

  private stopBeating(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

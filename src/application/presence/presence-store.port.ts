/**
 * Where the instances keep their presence heartbeats: one row per instance and agent, saying how
 * many live streams (GET /events, an open Parley tab) that instance holds for the agent and when it
 * last saw them. Shared by every instance (the embedded file's table, or a MongoDB collection
 * beside the read models), so the one instance that sweeps sees everybody's streams.
 *
 * Not a read model: nothing rebuilds it from the event log, and nothing needs to: a lost row only
 * means its agent goes offline after the grace period unless a stream beats again.
 */
export interface PresenceStore {
  /** Upserts this instance's rows for these agents: their open streams now, seen at `at`. */
  record(instanceId: string, beats: readonly PresenceBeat[], at: Date): Promise<void>;
  /** Per agent (with any row), the latest time any instance saw them. */
  lastSeen(agentIds?: readonly string[]): Promise<Map<string, Date>>;
  /** Deletes the rows last seen before `before` (they no longer keep anyone online). */
  prune(before: Date): Promise<number>;
  close(): Promise<void>;
}

export interface PresenceBeat {
  agentId: string;
  /** 0: the agent's last stream on this instance just closed (the grace period runs from `at`). */
  openStreams: number;
}

export const PRESENCE_STORE = Symbol('PRESENCE_STORE');

/** How presence is timed (from PARLEY_PRESENCE_GRACE_SECONDS), and which instance this is. */
export interface PresenceSettings {
  /** How long an agent stays online after they were last seen with an open stream. */
  graceMs: number;
  /** How often an instance refreshes the rows of its open streams; well under graceMs. */
  heartbeatMs: number;
  /** How often the sweeper looks for agents to record offline. */
  sweepEveryMs: number;
  /** This instance's id in the store (unique per process and app). */
  instanceId: string;
}

export const PRESENCE_SETTINGS = Symbol('PRESENCE_SETTINGS');

/** The heartbeat and sweep intervals for a grace period: at most 10 s, and a few times within the grace. */
export function presenceSettings(graceSeconds: number, instanceId: string): PresenceSettings {
  const graceMs = graceSeconds * 1000;
  return {
    graceMs,
    heartbeatMs: Math.max(100, Math.min(10_000, Math.floor(graceMs / 3))),
    sweepEveryMs: Math.max(100, Math.min(10_000, Math.floor(graceMs / 2))),
    instanceId,
  };
}

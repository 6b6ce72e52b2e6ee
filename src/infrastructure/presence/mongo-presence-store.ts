import type { Connection, mongo } from 'mongoose';
import type { PresenceBeat, PresenceStore } from '../../application/presence/presence-store.port';

/** The collection of presence heartbeats, beside the read models. Not a projection's: no rebuild clears it. */
export const PRESENCE_COLLECTION = 'presence_heartbeats';

interface HeartbeatDocument {
  instanceId: string;
  agentId: string;
  openStreams: number;
  seenAt: Date;
}

/**
 * READ_STORE=mongodb: the heartbeats of every instance sharing the database, one document per
 * instance and agent (a unique index on the pair: an upsert race leaves one document).
 */
export class MongoPresenceStore implements PresenceStore {
  private readonly ready: Promise<mongo.Collection<HeartbeatDocument>>;

  /** `connected` resolves once the connection answered (the read side's `ready`). */
  constructor(
    private readonly connection: Connection,
    connected: Promise<void>,
  ) {
    this.ready = connected.then(async () => {
      const collection = this.connection.db!.collection<HeartbeatDocument>(PRESENCE_COLLECTION);
      await collection.createIndex({ instanceId: 1, agentId: 1 }, { unique: true, name: 'instance_agent' });
      await collection.createIndex({ agentId: 1, seenAt: -1 }, { name: 'agent_seen' });
      return collection;
    });
    // Observed by the first call; until then a failure must not count as unhandled.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the collection and its indexes exist (start-up and tests). */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  async record(instanceId: string, beats: readonly PresenceBeat[], at: Date): Promise<void> {
    if (beats.length === 0) return;
    const collection = await this.ready;
    const operations = beats.map((beat) => ({
      updateOne: {
        filter: { instanceId, agentId: beat.agentId },
        update: { $set: { openStreams: beat.openStreams, seenAt: at } },
        upsert: true,
      },
    }));
    try {
      await collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      // Two upserts of one new pair can both insert: the index refuses one; writing again updates it.
      if ((error as { code?: unknown })?.code !== 11000) throw error;
      await collection.bulkWrite(operations, { ordered: false });
    }
  }

  async lastSeen(agentIds?: readonly string[]): Promise<Map<string, Date>> {
    const collection = await this.ready;
    const rows = await collection
      .aggregate<{ _id: string; seenAt: Date }>([
        ...(agentIds ? [{ $match: { agentId: { $in: [...agentIds] } } }] : []),
        { $group: { _id: '$agentId', seenAt: { $max: '$seenAt' } } },
      ])
      .toArray();
    return new Map(rows.map((row) => [row._id, new Date(row.seenAt)]));
  }

  async prune(before: Date): Promise<number> {
    const collection = await this.ready;
    return (await collection.deleteMany({ seenAt: { $lt: before } })).deletedCount;
  }

  /** The connection is the read side's: it closes it. */
  async close(): Promise<void> {}
}

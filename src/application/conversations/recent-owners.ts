import { Injectable } from '@nestjs/common';

/** Enough for the events appended while the process managers are a few seconds behind at full ingest. */
const LIMIT = 4096;

/**
 * Whether an agent owned a conversation right after a contact's message that this process
 * appended, by the message's global position (a position is never handed out twice, so it names
 * that one event of that one stream). The receive handler notes it from the state it decided on;
 * notify-agents asks before it reads the conversation's stream to find an owner to tell: under
 * load that read, with its deciphering and fold, was made for every later message of every
 * conversation, and nearly always found no agent owner. An event not noted here (another
 * process's, an older one, one followed by more events of the same command) is read as before.
 * Holds no personal data: positions, stream ids and a flag. Bounded: the oldest entry goes first.
 */
@Injectable()
export class RecentOwners {
  private readonly entries = new Map<number, { streamId: string; agentOwner: boolean }>();

  note(position: number, streamId: string, agentOwner: boolean): void {
    if (position <= 0) return;
    this.entries.set(position, { streamId, agentOwner });
    if (this.entries.size > LIMIT) this.entries.delete(this.entries.keys().next().value as number);
  }

  /** True / false when the event at `position` of `streamId` was noted here; undefined otherwise. */
  agentOwnerAfter(position: number, streamId: string): boolean | undefined {
    const entry = this.entries.get(position);
    return entry?.streamId === streamId ? entry.agentOwner : undefined;
  }
}

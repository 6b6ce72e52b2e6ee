import type { InboxAccess } from '../../src/application/access/inbox-access';
import type { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { RecentOwners } from '../../src/application/conversations/recent-owners';
import { NotifyAgents } from '../../src/application/notifications/notify-agents.saga';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { JobQueue } from '../../src/application/ports/job-queue.port';
import type { ReadStore } from '../../src/application/ports/read-store.port';

/**
 * What the manager decides from the event alone, before reading the conversation (the e2e spec
 * covers whom it tells). A conversation's first message can have no owner yet: its stream holds
 * only the start before it, which assigns nobody.
 */
describe('NotifyAgents without reading the conversation', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  function manager(owners = new RecentOwners()) {
    const reads: string[] = [];
    const executor = {
      now: () => now,
      store: {
        readStream: async (streamId: string) => {
          reads.push(streamId);
          return [];
        },
      },
    } as unknown as CommandExecutor;
    const notify = new NotifyAgents(executor, {} as InboxAccess, {} as ReadStore, {} as JobQueue, owners);
    return { notify, reads };
  }
  const message = (revision: number): RecordedEvent =>
    ({
      id: `e-${revision}`,
      streamId: 'conversation-c1',
      type: 'MessageReceived',
      revision,
      position: 10 + revision,
      data: { from: { address: 'a@example.com' } },
      metadata: { actor: { type: 'system' }, occurredAt: now.toISOString(), correlationId: 'c', causationId: 'c' },
    }) as unknown as RecordedEvent;

  it("passes over a conversation's first message (revision 1, after its start) without reading it", async () => {
    const { notify, reads } = manager();
    await notify.handle(message(1));
    expect(reads).toEqual([]);
  });

  it('reads the conversation for a later message, which may have an owner', async () => {
    const { notify, reads } = manager();
    await notify.handle(message(2));
    expect(reads).toEqual(['conversation-c1']);
  });

  it('passes over a later message without reading it when this process noted that no agent owned the conversation after it', async () => {
    const owners = new RecentOwners();
    owners.note(12, 'conversation-c1', false);
    const { notify, reads } = manager(owners);
    await notify.handle(message(2));
    expect(reads).toEqual([]);
  });

  it('reads the conversation when an agent owned it after the message, or when the note is of another event or stream', async () => {
    const owned = new RecentOwners();
    owned.note(12, 'conversation-c1', true);
    const first = manager(owned);
    await first.notify.handle(message(2));
    expect(first.reads).toEqual(['conversation-c1']);

    const other = new RecentOwners();
    other.note(11, 'conversation-c1', false);
    other.note(12, 'conversation-c2', false);
    const second = manager(other);
    await second.notify.handle(message(2));
    expect(second.reads).toEqual(['conversation-c1']);
  });
});

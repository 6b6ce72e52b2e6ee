import type { SqliteProjection } from '../projection';
import { agentsProjection } from './agents.projection';
import { blockedSendersProjection } from './blocked-senders.projection';
import { conversationsProjection } from './conversations.projection';
import { inboxesProjection } from './inboxes.projection';
import { threadProjection } from './thread.projection';

/** Every read model of the embedded store, fed by one runner. */
export const sqliteProjections: readonly SqliteProjection[] = [
  conversationsProjection,
  threadProjection,
  agentsProjection,
  inboxesProjection,
  blockedSendersProjection,
];

import type { SqliteProjection } from '../projection';
import { agentsProjection } from './agents.projection';
import { blockedSendersProjection } from './blocked-senders.projection';
import { botsProjection } from './bots.projection';
import { channelConnectionsProjection } from './channel-connections.projection';
import { conversationsProjection } from './conversations.projection';
import { customViewsProjection } from './custom-views.projection';
import { inboxesProjection } from './inboxes.projection';
import { notificationsProjection } from './notifications.projection';
import { recordsProjection } from './records.projection';
import { reportsProjection } from './reports.projection';
import { searchProjection } from './search.projection';
import { threadProjection } from './thread.projection';

/** Every read model of the embedded store, fed by one runner. */
export const sqliteProjections: readonly SqliteProjection[] = [
  conversationsProjection,
  threadProjection,
  agentsProjection,
  inboxesProjection,
  blockedSendersProjection,
  searchProjection,
  customViewsProjection,
  channelConnectionsProjection,
  notificationsProjection,
  reportsProjection,
  botsProjection,
  recordsProjection,
];

import type { CustomViewEvent } from '../../domain/custom-view/custom-view.events';
import type { SqliteProjection } from '../projection';
import { idFromStream, statement } from './statements';

type DataOf<T extends CustomViewEvent['type']> = Extract<CustomViewEvent, { type: T }>['data'];

/**
 * The custom views (saved filters) of each inbox, in the order they were created. Every write is
 * keyed by view id and sets values, so applying an event twice changes nothing.
 */
export const customViewsProjection: SqliteProjection = {
  name: 'custom-views',
  version: 1,
  handles: ['CustomViewCreated', 'CustomViewUpdated', 'CustomViewDeleted'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_custom_views;
      CREATE TABLE rm_custom_views (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        name TEXT NOT NULL,
        filters TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        position INTEGER NOT NULL
      );
      CREATE INDEX rm_custom_views_by_inbox ON rm_custom_views (inbox_id, position);
    `);
  },
  apply(event, tx) {
    const id = idFromStream(event.streamId, 'custom-view-');
    switch (event.type) {
      case 'CustomViewCreated': {
        const data = event.data as unknown as DataOf<'CustomViewCreated'>;
        statement(
          tx,
          `INSERT OR IGNORE INTO rm_custom_views (id, inbox_id, name, filters, created_by, created_at, position)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(data.viewId, data.inboxId, data.name, JSON.stringify(data.filters), data.createdBy, event.metadata.occurredAt, event.position);
        return;
      }
      case 'CustomViewUpdated': {
        const data = event.data as unknown as DataOf<'CustomViewUpdated'>;
        if (data.name !== undefined) statement(tx, 'UPDATE rm_custom_views SET name = ? WHERE id = ?').run(data.name, id);
        if (data.filters !== undefined) statement(tx, 'UPDATE rm_custom_views SET filters = ? WHERE id = ?').run(JSON.stringify(data.filters), id);
        return;
      }
      case 'CustomViewDeleted':
        statement(tx, 'DELETE FROM rm_custom_views WHERE id = ?').run(id);
        return;
      default:
        return;
    }
  },
};

import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { AgentEvent } from '../../domain/agent/agent.events';
import type { SqliteProjection } from '../projection';
import { withEndedSession, type EndedSession } from '../ended-sessions';
import { idFromStream, statement } from './statements';

type AgentEventType = AgentEvent['type'];
type DataOf<T extends AgentEventType> = Extract<AgentEvent, { type: T }>['data'];
type Handler<T extends AgentEventType> = (tx: Database, agentId: string, event: RecordedEvent & { data: DataOf<T> }) => void;

/**
 * The agent directory (login, assignment, mentions) and, separately, every name an agent id ever
 * had: a removed agent leaves the directory, but their comments still show who wrote them.
 */
export const agentsProjection: SqliteProjection = {
  name: 'agents',
  // 3: the agent's language and time zone. 4: whether the agent is online (presence).
  version: 4,
  handles: [
    'AgentRegistered',
    'AgentUpdated',
    'AgentPasswordChanged',
    'AgentAvailabilityChanged',
    'AgentPresenceChanged',
    'AgentPreferencesChanged',
    'AgentSessionEnded',
    'AgentRemoved',
  ],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_agents;
      DROP TABLE IF EXISTS rm_agent_names;
      CREATE TABLE rm_agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        email_lower TEXT NOT NULL,
        role TEXT NOT NULL,
        availability TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_sessions TEXT NOT NULL DEFAULT '[]',
        language TEXT,
        time_zone TEXT,
        online INTEGER NOT NULL DEFAULT 0,
        online_changed_at TEXT
      );
      CREATE INDEX rm_agents_by_email ON rm_agents (email_lower);
      CREATE TABLE rm_agent_names (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    `);
  },
  apply(event, tx) {
    // AgentRegistered carries the id; the other events take it from their `agent-<uuid>` stream.
    const agentId = event.type === 'AgentRegistered' ? String(event.data.agentId) : idFromStream(event.streamId, 'agent-');
    handlers[event.type as AgentEventType]?.(tx, agentId, event as never);
  },
};

const handlers: { [T in AgentEventType]: Handler<T> } = {
  AgentRegistered(tx, agentId, { data, metadata }) {
    statement(
      tx,
      `INSERT INTO rm_agents (id, name, email, email_lower, role, availability, password_hash, created_at)
       VALUES (?, ?, ?, ?, ?, 'available', ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, email_lower = excluded.email_lower,
         role = excluded.role, password_hash = excluded.password_hash`,
    ).run(agentId, data.name, data.email, data.email.trim().toLowerCase(), data.role, data.passwordHash, metadata.occurredAt);
    rememberName(tx, agentId, data.name);
  },
  AgentUpdated(tx, agentId, { data }) {
    if (data.name !== undefined) {
      statement(tx, 'UPDATE rm_agents SET name = ? WHERE id = ?').run(data.name, agentId);
      rememberName(tx, agentId, data.name);
    }
    if (data.role !== undefined) statement(tx, 'UPDATE rm_agents SET role = ? WHERE id = ?').run(data.role, agentId);
  },
  AgentPasswordChanged(tx, agentId, { data }) {
    statement(tx, 'UPDATE rm_agents SET password_hash = ? WHERE id = ?').run(data.passwordHash, agentId);
  },
  AgentAvailabilityChanged(tx, agentId, { data }) {
    statement(tx, 'UPDATE rm_agents SET availability = ? WHERE id = ?').run(data.availability, agentId);
  },
  AgentPresenceChanged(tx, agentId, { data }) {
    statement(tx, 'UPDATE rm_agents SET online = ?, online_changed_at = ? WHERE id = ?').run(data.online ? 1 : 0, data.at, agentId);
  },
  AgentNotificationSettingsChanged() {
    // Not kept here: whoever needs an agent's switches (the notify-agents process manager, the
    // settings routes) folds the agent's own stream (application/notifications/notification-settings.ts),
    // which is current even while the read models catch up.
  },
  AgentPreferencesChanged(tx, agentId, { data }) {
    if (data.language !== undefined) statement(tx, 'UPDATE rm_agents SET language = ? WHERE id = ?').run(data.language, agentId);
    if (data.timeZone !== undefined) statement(tx, 'UPDATE rm_agents SET time_zone = ? WHERE id = ?').run(data.timeZone, agentId);
  },
  AgentSessionEnded(tx, agentId, { data, metadata }) {
    const row = statement(tx, 'SELECT ended_sessions FROM rm_agents WHERE id = ?').get(agentId) as { ended_sessions: string } | undefined;
    if (!row) return;
    const ended = withEndedSession(JSON.parse(row.ended_sessions) as EndedSession[], data, metadata.occurredAt);
    statement(tx, 'UPDATE rm_agents SET ended_sessions = ? WHERE id = ?').run(JSON.stringify(ended), agentId);
  },
  AgentRemoved(tx, agentId) {
    statement(tx, 'DELETE FROM rm_agents WHERE id = ?').run(agentId);
  },
};

function rememberName(tx: Database, agentId: string, name: string): void {
  statement(tx, 'INSERT INTO rm_agent_names (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name').run(agentId, name);
}

import type { Model } from 'mongoose';
import type { ReportFacts, ReportFactsQuery } from '../../../application/reports/report-facts';
import { evolveReportConversation, REPORT_EVENT_TYPES, type ReportConversation } from '../../../projections/report-facts';
import { guardedSet, writeInOrder } from './guarded-writes';
import { type ReportConversationDocument } from './reports.mongo-model';
import { idFromStream, type MongoProjection } from './mongo-projection';

type Fields = Omit<ReportConversationDocument, '_id' | 'lastPosition'>;

function fieldsOf(state: ReportConversation | null): Fields {
  if (state === null) return { deleted: true, inboxId: null, state: null, assignments: [], firstResponse: null, resolutions: [] };
  return {
    deleted: false,
    inboxId: state.inboxId,
    state,
    assignments: state.assignments,
    firstResponse: state.firstResponse,
    resolutions: state.resolutions,
  };
}

/** The twin of src/projections/sqlite/reports.projection.ts. */
export const reportsMongoProjection: MongoProjection = {
  name: 'reports',
  version: 1,
  handles: REPORT_EVENT_TYPES,
  owns: ['reportConversations'],
  async applyBatch(events, models) {
    const model = models.reportConversations;
    const ids = [...new Set(events.map((event) => idFromStream(event.streamId, 'conversation-')))];
    if (ids.length === 0) return;
    const stored = await model.find({ _id: { $in: ids } }).lean<ReportConversationDocument[]>();
    const states = new Map<string, { lastPosition: number; deleted: boolean; state: ReportConversation | null; touched: boolean }>(
      ids.map((id) => [id, { lastPosition: 0, deleted: false, state: null, touched: false }]),
    );
    for (const document of stored)
      states.set(document._id, { lastPosition: document.lastPosition, deleted: document.deleted, state: document.state, touched: false });
    for (const event of events) {
      const entry = states.get(idFromStream(event.streamId, 'conversation-'));
      // The position guards alone: a stream deleted forever may start again (a new ConversationStarted after the tombstone).
      if (!entry || event.position <= entry.lastPosition) continue;
      const next = evolveReportConversation(entry.state, event);
      if (next === null || next === entry.state) continue;
      if (next === 'deleted') {
        entry.deleted = true;
        entry.state = null;
      } else {
        entry.deleted = false;
        entry.state = next;
      }
      entry.lastPosition = event.position;
      entry.touched = true;
    }
    const writes = [...states.entries()]
      .filter(([, entry]) => entry.touched)
      .map(([id, entry]) => guardedSet(id, entry.lastPosition, fieldsOf(entry.deleted ? null : entry.state) as unknown as Record<string, unknown>));
    await writeInOrder(model as unknown as Model<unknown>, writes);
  },
};

/** ReadStore.reportFacts over MongoDB: each fact kind is one index range per inbox; the period's entries are picked from the arrays. */
export async function mongoReportFacts(models: { reportConversations: Model<ReportConversationDocument> }, query: ReportFactsQuery): Promise<ReportFacts> {
  const from = new Date(query.from).toISOString();
  const to = new Date(query.to).toISOString();
  const inPeriod = (at: string | undefined) => at !== undefined && at >= from && at < to;
  const model = models.reportConversations;
  const inboxIds = [...query.inboxIds];
  const range = { $gte: from, $lt: to };
  const [withAssignments, withResponses, withResolutions] = await Promise.all([
    model.find({ inboxId: { $in: inboxIds }, 'assignments.at': range }, { inboxId: 1, assignments: 1 }).lean<ReportConversationDocument[]>(),
    model.find({ inboxId: { $in: inboxIds }, 'firstResponse.at': range }, { inboxId: 1, firstResponse: 1 }).lean<ReportConversationDocument[]>(),
    model.find({ inboxId: { $in: inboxIds }, 'resolutions.at': range }, { inboxId: 1, resolutions: 1 }).lean<ReportConversationDocument[]>(),
  ]);
  const assignedCounts = new Map<string, { agentId: string; inboxId: string; conversations: number }>();
  for (const document of withAssignments) {
    const agents = new Set(document.assignments.filter((a) => inPeriod(a.at)).map((a) => a.agentId));
    for (const agentId of agents) {
      const key = JSON.stringify([agentId, document.inboxId]);
      const entry = assignedCounts.get(key) ?? { agentId, inboxId: document.inboxId ?? '', conversations: 0 };
      entry.conversations += 1;
      assignedCounts.set(key, entry);
    }
  }
  const firstResponses = withResponses
    .filter((document) => document.firstResponse && inPeriod(document.firstResponse.at))
    .map((document) => ({ agentId: document.firstResponse!.agentId, inboxId: document.inboxId ?? '', seconds: document.firstResponse!.seconds }));
  const resolutions = withResolutions.flatMap((document) =>
    document.resolutions
      .filter((r) => r.agentId !== null && inPeriod(r.at))
      .map((r) => ({ agentId: r.agentId as string, inboxId: document.inboxId ?? '', seconds: r.seconds })),
  );
  return { assigned: [...assignedCounts.values()], firstResponses, resolutions };
}

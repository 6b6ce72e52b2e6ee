import { Schema, type Connection, type Model } from 'mongoose';
import type { ReportAssignment, ReportConversation, ReportFirstResponse, ReportResolution } from '../../../projections/report-facts';

/**
 * The reports read model in MongoDB: one document per conversation holding its folded state
 * (report-facts.ts, the same fold as the embedded store) and the facts the queries read, as
 * arrays whose `at` fields are indexed with the inbox. A delete forever leaves a tombstone
 * (`deleted`, every fact emptied) that keeps its lastPosition, so an older event delivered again
 * cannot bring the facts back; a later ConversationStarted of the same stream starts it afresh.
 */
export interface ReportConversationDocument {
  _id: string;
  lastPosition: number;
  deleted: boolean;
  inboxId: string | null;
  state: ReportConversation | null;
  assignments: ReportAssignment[];
  firstResponse: ReportFirstResponse | null;
  resolutions: ReportResolution[];
}

/** Indexes: {inboxId, assignments.at}, {inboxId, firstResponse.at}, {inboxId, resolutions.at}: a period's facts of the inboxes. */
export function reportConversationSchema(): Schema<ReportConversationDocument> {
  const schema = new Schema<ReportConversationDocument>(
    {
      _id: { type: String, required: true },
      lastPosition: { type: Number, required: true },
      deleted: { type: Boolean, required: true },
      inboxId: { type: String, default: null },
      state: Schema.Types.Mixed,
      assignments: [{ _id: false, agentId: String, at: String, via: String }],
      firstResponse: { type: new Schema({ agentId: String, at: String, seconds: Number }, { _id: false }), default: null },
      resolutions: [{ _id: false, agentId: { type: String, default: null }, at: String, seconds: Number }],
    },
    { collection: 'report_conversations', versionKey: false, minimize: false, strict: 'throw', autoIndex: false, autoCreate: false },
  );
  schema.index({ inboxId: 1, 'assignments.at': 1 }, { name: 'assignments_by_time' });
  schema.index({ inboxId: 1, 'firstResponse.at': 1 }, { name: 'first_responses_by_time' });
  schema.index({ inboxId: 1, 'resolutions.at': 1 }, { name: 'resolutions_by_time' });
  return schema;
}

/** The model on one connection (model names are per connection). */
export function defineReportConversationModel(connection: Connection): Model<ReportConversationDocument> {
  return connection.model<ReportConversationDocument>('ReportConversation', reportConversationSchema());
}

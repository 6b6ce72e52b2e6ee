import type { AnyBulkWriteOperation, Model } from 'mongoose';

/**
 * Ordered bulk writes in which a duplicate-key error means "already applied".
 *
 * Writes are guarded upserts: `updateOne({ _id, lastPosition: { $lt: position } }, …, { upsert:
 * true })`. When the document exists with lastPosition >= position (the event was applied
 * before), the filter matches nothing, the upsert tries to insert the same _id and MongoDB
 * answers E11000: the write is superseded, not failed. An ordered bulk write stops at its first
 * error (https://www.mongodb.com/docs/manual/reference/method/db.collection.bulkWrite/, "ordered"),
 * so the writes after a superseded one are sent again, in order, until all are done. Any other
 * error is thrown (the runner retries the whole batch, which the guards make safe).
 *
 * Order matters: a view counter updated by several events of one batch must see them in log
 * order for its guard to be right, and every write for an event must land before the
 * conversation document that records the event as applied.
 */
// Any model: the projections build their operations untyped (mongoose casts them against the schema).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function writeInOrder(model: Model<any>, operations: AnyBulkWriteOperation[]): Promise<void> {
  let remaining = operations;
  while (remaining.length > 0) {
    try {
      await model.bulkWrite(remaining, { ordered: true });
      return;
    } catch (error) {
      const failed = firstWriteError(error);
      if (failed === null || failed.code !== DUPLICATE_KEY) throw error;
      remaining = remaining.slice(failed.index + 1);
    }
  }
}

const DUPLICATE_KEY = 11000;

/** The first failed operation of a MongoBulkWriteError (its writeErrors are one error or several). */
export function firstWriteError(error: unknown): { index: number; code: number } | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{ index?: unknown; code?: unknown }>;
  let first: { index: number; code: number } | null = null;
  for (const entry of list) {
    if (typeof entry.index !== 'number' || typeof entry.code !== 'number') continue;
    if (first === null || entry.index < first.index) first = { index: entry.index, code: entry.code };
  }
  return first;
}

/** A guarded upsert of a state-based document: applied only when the stored one is older. */
export function guardedSet(id: string, position: number, set: Record<string, unknown>, unset: readonly string[] = []): AnyBulkWriteOperation {
  const update: Record<string, unknown> = { $set: { ...set, lastPosition: position } };
  if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((field) => [field, '']));
  return { updateOne: { filter: { _id: id, lastPosition: { $lt: position } }, update, upsert: true } } as AnyBulkWriteOperation;
}

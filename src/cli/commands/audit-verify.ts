import { verifyStreams, type StreamVerification } from '../../application/audit/verify-stream';
import { openReadOnlyEventLog } from '../../infrastructure/event-store/open-event-log';
import { conversationStreamArgument, EXIT, UsageError, type CliContext } from '../cli-context';

/**
 * `parley audit verify [--all | --conversation <id>]`: recomputes every hash chain (or one
 * conversation's) straight from the database file, server or no server, and prints the first
 * broken link of each broken stream. Exit 0 intact, 1 broken.
 */
export async function auditVerify(ctx: CliContext, options: { all: boolean; conversation?: string }): Promise<number> {
  if (options.all && options.conversation !== undefined) throw new UsageError('audit verify takes --all or --conversation <id>, not both');
  const only = options.conversation === undefined ? null : conversationStreamArgument(options.conversation);
  const log = openReadOnlyEventLog(ctx.dataDir);
  try {
    let streams = 0;
    let events = 0;
    let broken = 0;
    for await (const result of verifyStreams(log.store, only ? [only] : log.streamIds())) {
      streams += 1;
      events += result.events;
      if (!result.ok) broken += 1;
      if (!result.ok || only) ctx.stdout.write(`${describe(result)}\n`);
    }
    if (only && events === 0 && broken === 0) {
      ctx.stderr.write(`${only} holds no events in ${log.file} (unknown id, or deleted forever)\n`);
      return EXIT.problem;
    }
    const verdict = broken === 0 ? 'every chain is intact' : `${broken} broken`;
    ctx.stdout.write(`verified ${streams} stream${streams === 1 ? '' : 's'}, ${events} events in ${log.file}: ${verdict}\n`);
    return broken === 0 ? EXIT.ok : EXIT.problem;
  } finally {
    await log.close();
  }
}

const LABELS: Record<NonNullable<StreamVerification['firstBreak']>['reason'], [string, string]> = {
  'hash-mismatch': ['recomputed hash', 'stored hash'],
  'prev-hash-mismatch': ["previous event's hash", 'stored prevHash'],
  'revision-gap': ['expected revision', 'found revision'],
  unreadable: ['expected', 'stored'],
};

export function describe(result: StreamVerification): string {
  if (result.unreadable !== undefined) return `BROKEN  ${result.streamId}: its stored events cannot be read back (${result.unreadable})`;
  if (!result.firstBreak) return `ok      ${result.streamId} (${result.events} events)`;
  const { revision, eventId, position, reason, expected, actual } = result.firstBreak;
  const [expectedLabel, actualLabel] = LABELS[reason];
  return (
    `BROKEN  ${result.streamId}: first break at revision ${revision} (event ${eventId}, position ${position}): ${reason}; ` +
    `${expectedLabel} ${expected}, ${actualLabel} ${actual}`
  );
}

import { writeFileSync } from 'node:fs';
import { conversationExportLines, ExportRefusedError } from '../../application/audit/export-conversation';
import { openReadOnlyEventLog } from '../../infrastructure/event-store/open-event-log';
import { conversationStreamArgument, EXIT, UsageError, type CliContext } from '../cli-context';

/**
 * `parley audit export --conversation <id> [--out <file>]`: the conversation's stream as JSON
 * Lines, one event per line (audit-record.ts), to the file or to stdout. Conversation streams
 * only: anything else is refused.
 */
export async function auditExport(ctx: CliContext, options: { conversation?: string; out?: string }): Promise<number> {
  if (options.conversation === undefined) throw new UsageError('audit export needs --conversation <id>');
  // Agent streams hold password hashes: only a conversation's stream can be named here.
  const streamId = conversationStreamArgument(options.conversation);
  const log = openReadOnlyEventLog(ctx.dataDir);
  try {
    const events = await log.store.readStream(streamId);
    if (events.length === 0) {
      ctx.stderr.write(`${streamId} holds no events in ${log.file} (unknown id, or deleted forever)\n`);
      return EXIT.problem;
    }
    let lines: string[];
    try {
      lines = conversationExportLines(events);
    } catch (error) {
      if (!(error instanceof ExportRefusedError)) throw error;
      ctx.stderr.write(`${error.message}\n`);
      return EXIT.problem;
    }
    const text = `${lines.join('\n')}\n`;
    if (options.out === undefined) {
      ctx.stdout.write(text);
    } else {
      // Customer messages: readable by the owner only.
      writeFileSync(options.out, text, { mode: 0o600 });
      ctx.stderr.write(`exported ${events.length} events of ${streamId} to ${options.out}\n`);
    }
    return EXIT.ok;
  } finally {
    await log.close();
  }
}

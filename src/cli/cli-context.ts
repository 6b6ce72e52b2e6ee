import { conversationStreamNamed } from '../application/audit/conversation-stream-name';

/** What every command gets: where the data is and where to write. Tests run the built CLI as a child process. */
export interface CliContext {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * Exit codes of every command: 0 done / intact / equal; 1 ran and found a problem (a broken
 * chain, differing read models) or failed on the way; 2 did nothing: a usage error, no database
 * there, or a refusal (a server is using the data folder).
 */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

/** The command line was wrong: the message says what to type instead (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--conversation <id>`: the conversation's stream, or a usage error; no other stream can be named this way. */
export function conversationStreamArgument(conversation: string): string {
  const streamId = conversationStreamNamed(conversation);
  if (streamId === null) throw new UsageError(`--conversation: "${conversation}" is not a conversation id (a UUID, or conversation-<UUID>)`);
  return streamId;
}

#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NoEventLogError } from '../infrastructure/event-store/open-event-log';
import { RebuildError } from '../infrastructure/read-store/read-model-rebuild';
import { PRIVATE_UMASK } from '../infrastructure/storage/private-files';
import { EXIT, UsageError, type CliContext } from './cli-context';
import { auditExport } from './commands/audit-export';
import { auditVerify } from './commands/audit-verify';
import { backup } from './commands/backup';
import { replay } from './commands/replay';

const HELP = `Usage: parley [--data-dir <dir>] <command> [options]

Works directly on <dir>/parley.db (default: $PARLEY_DATA_DIR, else ./data); no server needed.

Commands:
  audit verify [--all | --conversation <id>]
      Recompute the hash chain of every stream (--all, the default) or of one conversation and
      print the first broken link of each broken stream.
  audit export --conversation <id> [--out <file>]
      Write the conversation's events as JSON Lines (one event per line) to <file> or stdout.
  replay [--check] [--force]
      Rebuild every read model from the event log into a temporary file, then swap it in, in one
      transaction. --check compares with the live read models instead (prints each difference,
      changes nothing). Refuses while a server uses the data folder, unless --force.
      PARLEY_REPLAY_BATCH_SIZE sets the events per rebuild transaction (default 500).

  demo
      Start Parley on a fresh data folder (in this process, on loopback) and fill it with a demo
      inbox through the API and SMTP; prints how to log in. PARLEY_ADMIN_EMAIL and
      PARLEY_ADMIN_PASSWORD name the admin, as for the server (default admin@localhost with a new
      password, kept in <dir>/demo-login.json). Running it again adds nothing.

  backup <folder>
      Copy the data folder into <folder> (new or empty; owner-only) while the server runs: the
      database through SQLite's online backup API, then secret.key and the channels' files. The
      copy is a data folder: restore by copying it back while no server runs (docs/operations.md).

Exit codes: 0 done, intact or equal; 1 broken, different or failed; 2 usage error, no database,
or refused.
`;

const COMMAND_OPTIONS: Record<string, readonly string[]> = {
  'audit verify': ['all', 'conversation'],
  'audit export': ['conversation', 'out'],
  replay: ['check', 'force'],
  backup: [],
  demo: [],
};

export async function main(argv: string[], ctx: Omit<CliContext, 'dataDir'>): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        all: { type: 'boolean' },
        conversation: { type: 'string' },
        out: { type: 'string' },
        check: { type: 'boolean' },
        force: { type: 'boolean' },
      },
    });
    // `backup` is the one command with an operand (its folder); the others are words only.
    const operand = positionals[0] === 'backup' ? positionals.slice(1) : [];
    const command = positionals[0] === 'backup' ? 'backup' : positionals.join(' ');
    if (values.help || command === 'help' || command === '') {
      (command === '' && !values.help ? ctx.stderr : ctx.stdout).write(HELP);
      return command === '' && !values.help ? EXIT.usage : EXIT.ok;
    }
    const allowed = COMMAND_OPTIONS[command];
    if (!allowed) throw new UsageError(`unknown command "${command}"`);
    const misplaced = Object.keys(values).filter((name) => name !== 'data-dir' && !allowed.includes(name));
    if (misplaced.length > 0) throw new UsageError(`${command} does not take --${misplaced[0]}`);

    const dataDir = resolve(values['data-dir'] ?? (ctx.env.PARLEY_DATA_DIR || './data'));
    const context: CliContext = { ...ctx, dataDir };
    switch (command) {
      case 'audit verify':
        return await auditVerify(context, { all: values.all ?? false, conversation: values.conversation });
      case 'audit export':
        return await auditExport(context, { conversation: values.conversation, out: values.out });
      case 'backup':
        if (operand.length > 1) throw new UsageError(`backup takes one folder, not ${operand.length}: parley backup <folder>`);
        return await backup(context, { target: operand[0] });
      case 'demo':
        // Loaded only here: it brings the whole application, which the other commands do without.
        return await (await import('./commands/demo')).demo(context);
      default:
        return await replay(context, { check: values.check ?? false, force: values.force ?? false });
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      ctx.stderr.write(`parley: ${(error as Error).message}\nRun "parley --help" for the commands and their options.\n`);
      return EXIT.usage;
    }
    if (error instanceof NoEventLogError) {
      ctx.stderr.write(`parley: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof RebuildError) {
      ctx.stderr.write(`parley: ${error.message}\n`);
      return EXIT.problem;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

if (require.main === module) {
  // Files the CLI writes (a rebuilt database, an audit export) are for the owner only, like the server's.
  process.umask(PRIVATE_UMASK);
  main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`parley: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT.problem;
    },
  );
}

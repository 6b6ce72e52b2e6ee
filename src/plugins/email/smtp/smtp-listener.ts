import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { ByteBudget } from './byte-budget';

/** An SMTP reply to send instead of 250: a code (4xx try again later, 5xx never) and a text. */
export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpReply';
  }
}

export interface SmtpEnvelope {
  /** MAIL FROM; null for the null sender `<>` (bounces). */
  mailFrom: string | null;
  rcptTo: string[];
  remoteAddress: string;
  sessionId: string;
}

/** A message as it arrived, spooled to a file (never held in memory while it streams in). */
export interface SpooledMessage {
  size: number;
  /** The message's bytes exactly as received; removed after `receive` settles. */
  file: string;
  /** An empty private folder for what handling the message needs to write (decoded attachments); removed after `receive` settles. */
  scratchDir: string;
}

export interface SmtpListenerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface SmtpListenerOptions {
  port: number;
  host: string;
  /** Largest message accepted (bytes); larger ones get 552 (RFC 5321 4.5.3.1.10). */
  maxMessageBytes: number;
  maxRecipients: number;
  /** Open SMTP sessions at most; one more is answered 421 (try again later) and closed. */
  maxSessions: number;
  /** Open SMTP sessions from one client address at most: idle connections from one host cannot take every slot. */
  maxSessionsPerClient: number;
  /** Bytes of messages handled (read, parsed, stored) at the same time; a larger message runs alone. */
  handlingBudgetBytes: number;
  /** Where incoming messages are written as they arrive (owner-only; emptied on start). */
  spoolDir: string;
  /** The spool is a temporary folder of this listener's own: removed on stop. */
  removeSpoolOnStop?: boolean;
  /** Name in the greeting and EHLO answer. */
  serverName: string;
  /** How long stop() lets open sessions finish before it closes them with 421. */
  closeTimeoutMs: number;
  socketTimeoutMs: number;
  /** Throws SmtpReply to refuse a recipient. */
  checkRecipient(address: string): Promise<void>;
  /** Handles one whole message; resolves with the text after "250 "; throws SmtpReply to refuse it. */
  receive(message: SpooledMessage, envelope: SmtpEnvelope): Promise<string>;
  logger: SmtpListenerLogger;
  /** Hears each session that got the greeting open, and close (metrics); the 421 surplus is not a session. */
  sessions?: { opened(): void; closed(): void };
}

/**
 * The SMTP side of the email channel: a receiving server (no relaying, no AUTH, no STARTTLS —
 * put a TLS-terminating MTA in front for the internet). A message is acknowledged with 250 only
 * after the channel handed it to the core, so a crash before that makes the sender retry.
 * Whatever a client sends, the server answers with an SMTP reply and keeps running.
 */
export class SmtpListener {
  private server: SMTPServer | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private boundPort: number | null = null;
  private readonly budget: ByteBudget;

  constructor(private readonly options: SmtpListenerOptions) {
    this.budget = new ByteBudget(options.handlingBudgetBytes);
  }

  get port(): number {
    if (this.boundPort === null) throw new Error('the SMTP listener is not started');
    return this.boundPort;
  }

  async start(): Promise<number> {
    if (this.server) return this.port;
    const { options } = this;
    await prepareSpool(options.spoolDir);
    const openSessions = new Set<string>();
    const sessionsByClient = new Map<string, number>();
    const clientOfSession = new Map<string, string>();
    const server = new SMTPServer({
      name: options.serverName,
      banner: 'Parley',
      size: options.maxMessageBytes,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      maxRecipients: options.maxRecipients,
      // smtp-server greets the surplus with "421 … Too many connected clients, try again in a moment".
      maxClients: options.maxSessions,
      closeTimeout: options.closeTimeoutMs,
      socketTimeout: options.socketTimeoutMs,
      logger: false,
      onConnect: (session, callback) => {
        const client = session.remoteAddress;
        const fromClient = sessionsByClient.get(client) ?? 0;
        if (fromClient >= options.maxSessionsPerClient) {
          return callback(Object.assign(new Error(`too many connections from ${client}; try again later`), { responseCode: 421 }));
        }
        sessionsByClient.set(client, fromClient + 1);
        clientOfSession.set(session.id, client);
        openSessions.add(session.id);
        options.sessions?.opened();
        callback();
      },
      onClose: (session) => {
        const client = clientOfSession.get(session.id);
        if (client !== undefined) {
          clientOfSession.delete(session.id);
          const left = (sessionsByClient.get(client) ?? 1) - 1;
          if (left > 0) sessionsByClient.set(client, left);
          else sessionsByClient.delete(client);
        }
        if (openSessions.delete(session.id)) options.sessions?.closed();
      },
      onRcptTo: (address, _session, callback) => {
        this.track(options.checkRecipient(address.address)).then(
          () => callback(),
          (error: unknown) => callback(asSmtpError(error, options.logger, { recipient: address.address })),
        );
      },
      onData: (stream, session, callback) => {
        this.track(this.readAndReceive(stream, session)).then(
          (text) => callback(null, text),
          (error: unknown) => callback(asSmtpError(error, options.logger, { sessionId: session.id })),
        );
      },
    });
    // A broken connection or a client error must never take the process down.
    server.on('error', (error) => options.logger.warn({ err: error }, 'SMTP connection error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.server.address() as AddressInfo).port;
    options.logger.info({ port: this.boundPort, host: options.host }, 'SMTP listener started');
    return this.boundPort;
  }

  /** Stops taking connections, lets messages being received finish, then closes idle sessions. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.inFlight]);
    this.boundPort = null;
    if (this.options.removeSpoolOnStop) await rm(this.options.spoolDir, { recursive: true, force: true });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * Writes the message to the spool as it streams in (the socket is read only as fast as the disk
   * takes it), then hands it on within the memory budget. The spool file goes once it was
   * handled: by then the original is stored, or the sender was told to try again.
   */
  private async readAndReceive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const { maxMessageBytes, spoolDir } = this.options;
    const name = `${Date.now()}-${randomBytes(8).toString('hex')}`;
    const file = join(spoolDir, `${name}.eml`);
    const scratchDir = join(spoolDir, `${name}.parts`);
    let length = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        length += chunk.length;
        // Past the limit the rest is read and dropped: the client gets its 552 after the final dot.
        done(null, length <= maxMessageBytes ? chunk : undefined);
      },
    });
    try {
      await pipeline(stream, limit, createWriteStream(file, { mode: 0o600 }));
      if (stream.sizeExceeded || length > maxMessageBytes) {
        throw new SmtpReply(552, `5.3.4 Message too big: ${length} bytes, the limit is ${maxMessageBytes} bytes`);
      }
      const { envelope } = session;
      const size = length;
      await mkdir(scratchDir, { mode: 0o700 });
      return await this.budget.run(size, () =>
        this.options.receive(
          { size, file, scratchDir },
          {
            mailFrom: envelope.mailFrom && envelope.mailFrom.address ? envelope.mailFrom.address : null,
            rcptTo: envelope.rcptTo.map((r) => r.address),
            remoteAddress: session.remoteAddress,
            sessionId: session.id,
          },
        ),
      );
    } finally {
      await rm(file, { force: true });
      await rm(scratchDir, { recursive: true, force: true });
    }
  }
}

/** Creates the spool owner-only and drops what a previous run left (never acknowledged: the senders retry). */
async function prepareSpool(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(dir)) {
    if (name.endsWith('.eml') || name.endsWith('.parts')) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** An SmtpReply as is; anything else is our failure, answered with a temporary error so the sender retries. */
function asSmtpError(error: unknown, logger: SmtpListenerLogger, fields: object): Error & { responseCode: number } {
  if (error instanceof SmtpReply) return error;
  logger.error({ err: error, ...fields }, 'SMTP message handling failed; answered 451 so the sender retries');
  return Object.assign(new Error('4.3.0 Temporary failure while storing the message, try again later'), { responseCode: 451 });
}

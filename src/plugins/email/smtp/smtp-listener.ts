import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

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
  /** Name in the greeting and EHLO answer. */
  serverName: string;
  /** How long stop() lets open sessions finish before it closes them with 421. */
  closeTimeoutMs: number;
  socketTimeoutMs: number;
  /** Throws SmtpReply to refuse a recipient. */
  checkRecipient(address: string): Promise<void>;
  /** Handles one whole message; resolves with the text after "250 "; throws SmtpReply to refuse it. */
  receive(raw: Buffer, envelope: SmtpEnvelope): Promise<string>;
  logger: SmtpListenerLogger;
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

  constructor(private readonly options: SmtpListenerOptions) {}

  get port(): number {
    if (this.boundPort === null) throw new Error('the SMTP listener is not started');
    return this.boundPort;
  }

  async start(): Promise<number> {
    if (this.server) return this.port;
    const { options } = this;
    const server = new SMTPServer({
      name: options.serverName,
      banner: 'Parley',
      size: options.maxMessageBytes,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      maxRecipients: options.maxRecipients,
      closeTimeout: options.closeTimeoutMs,
      socketTimeout: options.socketTimeoutMs,
      logger: false,
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
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async readAndReceive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const { maxMessageBytes } = this.options;
    const chunks: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        length += chunk.length;
        // Past the limit the rest is read and dropped: the client gets its 552 after the final dot.
        if (length <= maxMessageBytes) chunks.push(chunk);
      });
      stream.once('end', () => resolve());
      stream.once('error', reject);
    });
    if (stream.sizeExceeded || length > maxMessageBytes) {
      throw new SmtpReply(552, `5.3.4 Message too big: ${length} bytes, the limit is ${maxMessageBytes} bytes`);
    }
    const { envelope } = session;
    return this.options.receive(Buffer.concat(chunks, length), {
      mailFrom: envelope.mailFrom && envelope.mailFrom.address ? envelope.mailFrom.address : null,
      rcptTo: envelope.rcptTo.map((r) => r.address),
      remoteAddress: session.remoteAddress,
      sessionId: session.id,
    });
  }
}

/** An SmtpReply as is; anything else is our failure, answered with a temporary error so the sender retries. */
function asSmtpError(error: unknown, logger: SmtpListenerLogger, fields: object): Error & { responseCode: number } {
  if (error instanceof SmtpReply) return error;
  logger.error({ err: error, ...fields }, 'SMTP message handling failed; answered 451 so the sender retries');
  return Object.assign(new Error('4.3.0 Temporary failure while storing the message, try again later'), { responseCode: 451 });
}

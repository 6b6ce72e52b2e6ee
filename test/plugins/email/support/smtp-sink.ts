import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SunkMail {
  envelope: { from: string | null; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

/**
 * A local SMTP relay for outbound tests: accepts (or refuses, as told) what Parley sends, and
 * keeps every message with its envelope. Can be stopped and started again on the same port.
 */
export class SmtpSink {
  readonly received: SunkMail[] = [];
  /** Refuse the next recipients with this reply (e.g. 550 unknown user, 451 try later). */
  rcptReply: { code: number; message: string } | null = null;
  /** Never answer the greeting (a relay that hangs). */
  hang = false;
  private server: SMTPServer | null = null;
  port = 0;

  constructor(private readonly extra: Partial<SMTPServerOptions> = {}) {}

  async start(port = this.port): Promise<number> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 200,
      onConnect: (_session, callback) => {
        if (this.hang) return; // never calls back: the client waits for a greeting that never comes
        callback();
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.rcptReply) return callback(Object.assign(new Error(this.rcptReply.message), { responseCode: this.rcptReply.code }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then((parsed) => {
            this.received.push({
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, to: session.envelope.rcptTo.map((r) => r.address) },
              raw,
              parsed,
            });
            callback();
          }, callback);
        });
      },
      ...this.extra,
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }
}

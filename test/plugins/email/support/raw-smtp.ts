import { connect, type Socket } from 'node:net';

export interface SmtpReplyLine {
  code: number;
  text: string;
}

/**
 * A bare SMTP client for tests that need what a well-behaved client never does: the null sender,
 * odd commands, garbage, hanging up mid-message. Each call sends a line and waits for the reply.
 */
export class RawSmtpClient {
  private buffer = '';
  private waiting: ((reply: SmtpReplyLine) => void) | null = null;
  private readonly replies: SmtpReplyLine[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.deliver({ code: 0, text: 'connection closed' });
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<{ client: RawSmtpClient; greeting: SmtpReplyLine }> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawSmtpClient(socket);
    return { client, greeting: await client.next() };
  }

  /** Sends one command line and answers the server's reply. */
  async command(line: string): Promise<SmtpReplyLine> {
    this.socket.write(`${line}\r\n`, 'latin1');
    return this.next();
  }

  /** DATA, the message (dot-stuffed here), the final dot; answers the reply to the message. */
  async data(raw: Buffer): Promise<SmtpReplyLine> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
    const stuffed = text.replace(/^\./gm, '..');
    this.socket.write(stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`, 'latin1');
    this.socket.write('.\r\n');
    return this.next();
  }

  /** One whole transaction; stops at the first refusal and answers it. */
  async send(raw: Buffer, envelope: { from: string; to: string[] }): Promise<SmtpReplyLine> {
    const ehlo = await this.command('EHLO test.example');
    if (ehlo.code !== 250) return ehlo;
    const from = await this.command(`MAIL FROM:<${envelope.from}>`);
    if (from.code !== 250) return from;
    for (const to of envelope.to) {
      const rcpt = await this.command(`RCPT TO:<${to}>`);
      if (rcpt.code !== 250) return rcpt;
    }
    return this.data(raw);
  }

  writeRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  async quit(): Promise<void> {
    if (!this.closed) await this.command('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  next(): Promise<SmtpReplyLine> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve({ code: 0, text: 'connection closed' });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    // A reply ends with a line "NNN text" (a dash after the code means more lines follow).
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const last = lines.findIndex((line) => /^\d{3}(?: |$)/.test(line));
      if (last === -1) return;
      const reply = lines.slice(0, last + 1);
      this.buffer = lines.slice(last + 1).join('\r\n');
      this.deliver({ code: Number(reply[last].slice(0, 3)), text: reply.map((l) => l.slice(4)).join('\n') });
    }
  }

  private deliver(reply: SmtpReplyLine): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(reply);
    } else if (reply.code !== 0) {
      this.replies.push(reply);
    }
  }
}

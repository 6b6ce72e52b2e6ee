import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { channelPluginConformance } from '../../../src/plugins/testing';
import { SmtpSink } from './support/smtp-sink';

/**
 * The email channel against the plugin conformance kit, configured the way a third-party plugin
 * is (settings only), the outside world being real SMTP: inbound mail to its listener, outbound to
 * a local relay that accepts, defers (451) or refuses (550).
 */
const sink = new SmtpSink();
let storageDir: string;
let current: EmailPlugin | null = null;

channelPluginConformance('email', {
  createPlugin: () => (current = createEmailPlugin()),
  scenario: {
    beforeAll: async () => {
      await sink.start();
      storageDir = mkdtempSync(join(tmpdir(), 'parley-email-conformance-'));
    },
    afterAll: async () => {
      await sink.stop();
      rmSync(storageDir, { recursive: true, force: true });
    },
    config: () => ({
      SMTP_PORT: '0',
      SMTP_HOST: '127.0.0.1',
      RELAY_URL: sink.url,
      INBOX_EMAIL: 'support@example.com',
      STORAGE_DIR: join(storageDir, String(Date.now()), String(Math.random()).slice(2)),
    }),
    // One thread is one root Message-ID: every message of a thread names it in References.
    deliverInbound: async (_host, message) => {
      await createTransport({ host: '127.0.0.1', port: current!.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
        from: { name: message.from.name, address: message.from.address },
        to: 'support@example.com',
        subject: message.subject,
        text: message.text,
        messageId: `<${message.externalMessageId}@conformance.example>`,
        references: `<${message.externalThreadId}@conformance.example>`,
      });
    },
    outbound: {
      succeed: () => void (sink.rcptReply = null),
      failRetryably: () => void (sink.rcptReply = { code: 451, message: '4.3.2 Try again later' }),
      failPermanently: () => void (sink.rcptReply = { code: 550, message: '5.1.1 No such user' }),
    },
  },
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseMessageIds, synthesiseMessageId } from '../../../src/plugins/email/inbound/message-id';
import { defaultTemplatesFolder, EmailTemplates } from '../../../src/plugins/email/outbound/email-templates';
import { resolveThread, SUBJECT_WINDOW_MS } from '../../../src/plugins/email/threading/resolve-thread';
import { normaliseSubject } from '../../../src/plugins/email/threading/subject';
import { ThreadIndex } from '../../../src/plugins/email/threading/thread-index';
import { MemoryPluginStorage } from '../../../src/plugins/testing/memory-plugin-storage';

describe('normaliseSubject', () => {
  it.each([
    ['Invoice', 'invoice', false],
    ['Re: Invoice', 'invoice', true],
    ['RE: re: Fwd: FW: Invoice', 'invoice', true],
    ['AW: WG: Rechnung', 'rechnung', true],
    ['SV: VS: Faktura', 'faktura', true],
    ['Antw: Doorst: Factuur', 'factuur', true],
    ['TR: RE: Facture', 'facture', true],
    ['R: I: Fattura', 'fattura', true],
    ['RV: ENC: Fatura', 'fatura', true],
    ['Odp: PD: Faktura', 'faktura', true],
    ['YNT: Fatura', 'fatura', true],
    ['Ответ: Пересл: Счёт', 'счёт', true],
    ['回复：转发: 发票', '发票', true],
    ['Re[2]: Re(3): Re^4: Invoice', 'invoice', true],
    ['  Re:   Invoice   for   May  ', 'invoice for may', true],
    ['Rechnung', 'rechnung', false],
    ['Reply needed', 'reply needed', false],
    ['i: lowercase is a subject', 'i: lowercase is a subject', false],
    ['Fwd:', '', true],
    ['', '', false],
  ])('%j -> %j (marker: %s)', (subject, normalised, hadMarker) => {
    expect(normaliseSubject(subject)).toEqual({ subject: normalised, hadMarker });
  });
});

describe('parseMessageIds', () => {
  it.each([
    ['<a@b>', ['<a@b>']],
    ['<a@b> <c@d>', ['<a@b>', '<c@d>']],
    ['<a@b>\r\n\t<c@d>', ['<a@b>', '<c@d>']],
    ['<a@b> (comment) <c@d>', ['<a@b>', '<c@d>']],
    ['a@b', ['<a@b>']],
    ['<a@b>,<a@b>', ['<a@b>']],
    ['<no-at-sign>', []],
    ['', []],
    [
      ['<a@b>', '<c@d>'],
      ['<a@b>', '<c@d>'],
    ],
    [`<${'x'.repeat(300)}@b>`, []],
  ])('%j -> %j', (value, ids) => {
    expect(parseMessageIds(value)).toEqual(ids);
  });

  it('keeps only the last 100 of an endless References header', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `<m${i}@b>`);
    expect(parseMessageIds(ids.join(' '))).toEqual(ids.slice(-100));
  });
});

describe('synthesiseMessageId', () => {
  const message = 'From: a@b\r\nSubject: x\r\n\r\nbody\r\n';
  it('is stable across relay paths (trace headers differ) and differs for another message', () => {
    const id = synthesiseMessageId(Buffer.from(message));
    expect(synthesiseMessageId(Buffer.from(`Received: from mx1\r\n\tby mx2; Tue, 24 Nov 2026\r\nReturn-Path: <a@b>\r\n${message}`))).toBe(id);
    expect(synthesiseMessageId(Buffer.from(message.replace('body', 'other body')))).not.toBe(id);
    expect(id).toMatch(/^<sha256\.[0-9a-f]{40}@parley\.invalid>$/);
  });
});

describe('resolveThread', () => {
  const at = new Date('2026-11-24T10:00:00Z');
  const input = (overrides: Partial<Parameters<typeof resolveThread>[1]> = {}) => ({
    messageId: '<new@x>',
    inReplyTo: [],
    references: [],
    subject: 'Hello',
    sender: 'jane@x',
    receivedAt: at,
    ...overrides,
  });

  it('prefers what the index knows: redelivery, then In-Reply-To, then References nearest first', async () => {
    const index = new ThreadIndex(new MemoryPluginStorage());
    await index.record({ messageId: '<p1@x>', root: '<root-1@x>', direction: 'in', at: at.toISOString(), counterpart: 'jane@x', subject: 'hello' });
    await index.record({ messageId: '<p2@x>', root: '<root-2@x>', direction: 'out', at: at.toISOString(), counterpart: 'jane@x', subject: 'hello' });
    expect(await resolveThread(index, input({ messageId: '<p1@x>', inReplyTo: ['<p2@x>'] }))).toEqual({ root: '<root-1@x>', via: 'redelivery' });
    expect(await resolveThread(index, input({ inReplyTo: ['<p2@x>'], references: ['<p1@x>'] }))).toEqual({ root: '<root-2@x>', via: 'headers' });
    expect(await resolveThread(index, input({ references: ['<p1@x>', '<unknown@x>', '<p2@x>'] }))).toEqual({ root: '<root-2@x>', via: 'headers' });
  });

  it('uses the subject only for a message that says it continues something, and only within the window', async () => {
    const index = new ThreadIndex(new MemoryPluginStorage());
    await index.record({ messageId: '<s1@x>', root: '<s1@x>', direction: 'in', at: at.toISOString(), counterpart: 'Jane@X', subject: 'hello' });
    expect(await resolveThread(index, input({ subject: 'Re: Hello' }))).toEqual({ root: '<s1@x>', via: 'subject' });
    expect(await resolveThread(index, input({ subject: 'Hello' }))).toEqual({ root: '<new@x>', via: 'new' });
    expect(await resolveThread(index, input({ subject: 'Hello', inReplyTo: ['<gone@x>'] }))).toEqual({ root: '<s1@x>', via: 'subject' });
    const late = new Date(at.getTime() + SUBJECT_WINDOW_MS + 1);
    expect(await resolveThread(index, input({ subject: 'Re: Hello', receivedAt: late }))).toEqual({ root: '<new@x>', via: 'new' });
    expect(await resolveThread(index, input({ subject: 'Re: Hello', sender: 'bob@x' }))).toEqual({ root: '<new@x>', via: 'new' });
  });

  it('parents never seen: the oldest Reference, else In-Reply-To', async () => {
    const index = new ThreadIndex(new MemoryPluginStorage());
    expect(await resolveThread(index, input({ subject: '', references: ['<r0@x>', '<r1@x>'], inReplyTo: ['<r1@x>'] }))).toEqual({
      root: '<r0@x>',
      via: 'unknown-parent',
    });
    expect(await resolveThread(index, input({ subject: '', inReplyTo: ['<r1@x>'] }))).toEqual({ root: '<r1@x>', via: 'unknown-parent' });
  });
});

describe('email templates', () => {
  const source = resolve(__dirname, '..', '..', '..', 'src', 'plugins', 'email', 'templates');

  it('are found from the sources, and from compiled code that tsc wrote without them (dist/, .test-build/)', () => {
    expect(defaultTemplatesFolder(join(source, '..', 'outbound'))).toBe(source);
    // A checkout of its own: the repository's real dist/ may or may not hold copied templates.
    const repo = mkdtempSync(join(tmpdir(), 'parley-templates-'));
    try {
      const sources = join(repo, 'src', 'plugins', 'email', 'templates');
      mkdirSync(sources, { recursive: true });
      writeFileSync(join(sources, 'message.text.hbs'), '{{text}}');
      const dist = join(repo, 'dist', 'plugins', 'email', 'outbound');
      const testBuild = join(repo, '.test-build', '123-abc', 'dist', 'plugins', 'email', 'outbound');
      for (const folder of [dist, testBuild]) mkdirSync(folder, { recursive: true });
      expect(defaultTemplatesFolder(dist)).toBe(sources);
      expect(defaultTemplatesFolder(testBuild)).toBe(sources);
      // The build copies them beside the compiled code (the Docker image has no src/): that copy wins.
      const copied = join(repo, 'dist', 'plugins', 'email', 'templates');
      mkdirSync(copied);
      writeFileSync(join(copied, 'message.text.hbs'), '{{text}}');
      expect(defaultTemplatesFolder(dist)).toBe(copied);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
    expect(() => defaultTemplatesFolder('/nowhere/plugins/email/outbound')).toThrow(/templates .* were not found/);
  });

  it('escape in HTML, not in text', () => {
    const rendered = EmailTemplates.load().render({
      kind: 'reply',
      body: 'a < b',
      bodyHtml: '<p>a &lt; b</p>',
      signature: { name: 'Acme <Support>' },
      quoted: {
        date: 'Tue, 24 Nov 2026 10:00:00 GMT',
        from: 'Jane <jane@x>',
        lines: ['<script>'],
        intro: 'On Tue, 24 Nov 2026 10:00:00 GMT, Jane <jane@x> wrote:',
      },
    });
    expect(rendered.text).toBe('a < b\n\n-- \nAcme <Support>\n\nOn Tue, 24 Nov 2026 10:00:00 GMT, Jane <jane@x> wrote:\n> <script>\n');
    expect(rendered.html).toContain('Acme &lt;Support&gt;');
    expect(rendered.html).toContain('&lt;script&gt;<br>');
    expect(rendered.html).not.toContain('<script>');
  });
});

import { HandlebarsTranscriptRenderer } from '../../src/infrastructure/transcripts/handlebars-transcript-renderer';

/** The transcript email's words and times (rule 12): the reader's language and zone, visitor text kept as text. */
describe('HandlebarsTranscriptRenderer', () => {
  const renderer = HandlebarsTranscriptRenderer.load();
  const lines = [
    { author: 'Ana', side: 'contact' as const, at: '2026-03-02T09:00:00.000Z', text: 'Hello <script>alert(1)</script>\nsecond line' },
    { author: 'Bo', side: 'agent' as const, at: '2026-03-02T09:05:00.000Z', text: 'It left this morning.' },
  ];

  it('writes both sides with their times in English and UTC by default', () => {
    const { subject, text, html } = renderer.render({ inboxName: 'Support', subject: 'Order 4711', lines });
    expect(subject).toBe('Transcript of your chat with Support');
    expect(text).toBe(
      'Your chat with Support on March 2, 2026\nOrder 4711\n\n[Mar 2, 2026, 09:00 AM] Ana:\nHello <script>alert(1)</script>\nsecond line\n\n' +
        '[Mar 2, 2026, 09:05 AM] Bo:\nIt left this morning.\n\n--\nTimes are shown in UTC.\n',
    );
    expect(html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;<br>second line');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<time datetime="2026-03-02T09:05:00.000Z">');
  });

  it("speaks the reader's language and writes the times in their zone", () => {
    const { subject, text } = renderer.render({ inboxName: 'Support', subject: '', lines, language: 'nl', timeZone: 'Europe/Amsterdam' });
    expect(subject).toBe('Transcript van je chat met Support');
    expect(text).toContain('Je chat met Support op 2 maart 2026');
    expect(text).toContain('10:00] Ana:');
    expect(text).toContain('Tijden staan in de tijdzone Europe/Amsterdam.');
  });

  it('calls an anonymous visitor "Visitor"', () => {
    const { text } = renderer.render({ inboxName: 'Support', subject: '', lines: [{ ...lines[0], author: '' }], language: 'nl' });
    expect(text).toContain('] Bezoeker:\nHello');
  });

  it('falls back to English and UTC for a language or zone it does not know, rather than failing a close', () => {
    const { subject, text } = renderer.render({ inboxName: 'Support', subject: '', lines, language: 'xx', timeZone: 'Mars/Olympus' });
    expect(subject).toBe('Transcript of your chat with Support');
    expect(text).toContain('Times are shown in UTC.');
  });
});

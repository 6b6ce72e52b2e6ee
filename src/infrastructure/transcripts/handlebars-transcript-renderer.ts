import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RenderedTranscript, TranscriptInput, TranscriptRenderer } from '../../application/ports/transcript-renderer.port';
import { DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, isLanguage, isTimeZone, Locale } from '../i18n/i18n';

/** What templates/transcript.{text,html}.hbs are given. */
interface TemplateContext {
  heading: string;
  subject: string;
  lines: { author: string; agent: boolean; at: string; time: string; text: string }[];
  footer: string;
}

/**
 * The transcript email (rule 12) from two Handlebars templates beside this file: the text one
 * compiled without escaping (it is plain text), the HTML one with it, so a visitor's "<script>"
 * stays text. Words come from the locale files (transcript.*), times are written in the reader's
 * zone; an unknown language or zone falls back to English and UTC rather than failing a close.
 */
export class HandlebarsTranscriptRenderer implements TranscriptRenderer {
  private constructor(
    private readonly text: HandlebarsTemplateDelegate<TemplateContext>,
    private readonly html: HandlebarsTemplateDelegate<TemplateContext>,
  ) {}

  static load(folder: string = defaultTranscriptTemplatesFolder()): HandlebarsTranscriptRenderer {
    const read = (format: 'text' | 'html') => readFileSync(join(folder, `transcript.${format}.hbs`), 'utf8');
    const handlebars = Handlebars.create();
    // A message's own line breaks, as <br> between escaped lines.
    handlebars.registerHelper(
      'breaks',
      (value: unknown) =>
        new Handlebars.SafeString(
          String(value ?? '')
            .split(/\r?\n/)
            .map((line) => Handlebars.Utils.escapeExpression(line))
            .join('<br>'),
        ),
    );
    return new HandlebarsTranscriptRenderer(
      handlebars.compile<TemplateContext>(read('text'), { noEscape: true }),
      handlebars.compile<TemplateContext>(read('html')),
    );
  }

  render(input: TranscriptInput): RenderedTranscript {
    const locale = new Locale(isLanguage(input.language) ? input.language : DEFAULT_LANGUAGE, isTimeZone(input.timeZone) ? input.timeZone : DEFAULT_TIME_ZONE);
    const first = input.lines[0]?.at;
    const context: TemplateContext = {
      heading: first
        ? locale.t('transcript.heading', { inbox: input.inboxName, date: locale.formatDate(first, 'day') })
        : locale.t('transcript.headingUndated', { inbox: input.inboxName }),
      subject: input.subject.trim(),
      lines: input.lines.map((line) => ({
        author: line.author || locale.t('transcript.visitor'),
        agent: line.side === 'agent',
        at: line.at,
        time: locale.formatDate(line.at, 'long'),
        text: line.text.trimEnd(),
      })),
      footer: locale.t('transcript.footer', { zone: locale.timeZone }),
    };
    return {
      subject: locale.t('transcript.subject', { inbox: input.inboxName }),
      text: `${this.text(context)
        .replace(/[ \t]+$/gm, '')
        .replace(/\n{3,}/g, '\n\n')
        .trim()}\n`,
      html: this.html(context),
    };
  }
}

/**
 * templates/ beside this file when the build copied it there, else the source folder of the
 * repository the code runs from (tsc does not copy .hbs files into dist/).
 */
export function defaultTranscriptTemplatesFolder(codeFolder: string = __dirname): string {
  const beside = join(codeFolder, 'templates');
  if (existsSync(join(beside, 'transcript.text.hbs'))) return beside;
  for (let folder = codeFolder; dirname(folder) !== folder; folder = dirname(folder)) {
    const candidate = join(folder, 'src', 'infrastructure', 'transcripts', 'templates');
    if (existsSync(join(candidate, 'transcript.text.hbs'))) return candidate;
  }
  throw new Error(
    `the transcript templates (transcript.text.hbs …) were not found beside ${codeFolder} or in a src/infrastructure/transcripts/templates above it`,
  );
}

import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the message templates (templates/message.{text,html}.hbs and their partials) are given. */
export interface TemplateInput {
  kind: 'reply' | 'forward' | 'transcript' | 'compose' | 'notification';
  /** The agent's text. */
  body: string;
  /** The agent's HTML (sanitised), or the text as HTML. */
  bodyHtml: string;
  /** Signed with the inbox's name and address. */
  signature?: { name: string; address?: string };
  /** The message being answered (replies only); `intro` is the "On …, … wrote:" line in the message's language. */
  quoted?: { date: string; from: string; lines: string[]; intro: string };
}

/** The languages the email channel writes its own few words in (OutboundMessage.language). */
export type EmailLanguage = 'en' | 'nl';

/**
 * The email channel's own words, in each language it speaks: the plugin does not reach into the
 * application's translations (plugins see only the plugin interface), so they live here.
 */
const WORDS: Record<EmailLanguage, { quoteIntro: (date: string, from: string) => string; unknownSender: string }> = {
  en: { quoteIntro: (date, from) => `On ${date}, ${from} wrote:`, unknownSender: 'the sender' },
  nl: { quoteIntro: (date, from) => `Op ${date} schreef ${from}:`, unknownSender: 'de afzender' },
};

/** The words of `language`, English for anything else (a plugin must accept languages added later). */
export function emailWords(language: string | undefined): (typeof WORDS)[EmailLanguage] {
  return language === 'nl' ? WORDS.nl : WORDS.en;
}

/** A moment as the quote's intro line names it: in UTC, in the message's language ("Mon, 7 Dec 2026 09:30:00 GMT"). */
export function quoteDate(at: Date, language: string | undefined): string {
  if (language !== 'nl') return at.toUTCString();
  const formatted = new Intl.DateTimeFormat('nl-NL', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
  return `${formatted} UTC`;
}

const TEMPLATE_NAMES = ['message', 'signature', 'quoted'] as const;

/**
 * The email channel's Handlebars templates, compiled once. The text set is compiled without HTML
 * escaping (it is plain text), the HTML set with it, so a customer's "<script>" quoted in a reply
 * stays text. Operators can point EMAIL templates at their own folder (same file names).
 */
export class EmailTemplates {
  private constructor(
    private readonly text: HandlebarsTemplateDelegate<TemplateInput>,
    private readonly html: HandlebarsTemplateDelegate<TemplateInput>,
  ) {}

  static load(folder: string = defaultTemplatesFolder()): EmailTemplates {
    const read = (name: string, format: 'text' | 'html') => readFileSync(join(folder, `${name}.${format}.hbs`), 'utf8');
    const compile = (format: 'text' | 'html') => {
      const handlebars = Handlebars.create();
      for (const name of TEMPLATE_NAMES.slice(1)) handlebars.registerPartial(name, read(name, format));
      return handlebars.compile<TemplateInput>(read('message', format), { noEscape: format === 'text', strict: false });
    };
    return new EmailTemplates(compile('text'), compile('html'));
  }

  render(input: TemplateInput): { text: string; html: string } {
    return { text: tidyText(this.text(input)), html: this.html(input) };
  }
}

/**
 * templates/ beside this file when the build copied it there, else the source folder of the
 * repository the code runs from (tsc does not copy .hbs files into dist/).
 */
export function defaultTemplatesFolder(codeFolder: string = __dirname): string {
  const beside = join(codeFolder, '..', 'templates');
  if (existsSync(join(beside, 'message.text.hbs'))) return beside;
  for (let folder = codeFolder; dirname(folder) !== folder; folder = dirname(folder)) {
    const candidate = join(folder, 'src', 'plugins', 'email', 'templates');
    if (existsSync(join(candidate, 'message.text.hbs'))) return candidate;
  }
  throw new Error(`the email templates (message.text.hbs …) were not found beside ${codeFolder} or in a src/plugins/email/templates above it`);
}

/** Plain text as HTML: escaped, line breaks kept, blank lines as paragraphs. */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${Handlebars.Utils.escapeExpression(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

/** No trailing spaces except the signature separator "-- ", at most one blank line in a row, one final newline. */
function tidyText(text: string): string {
  return `${text
    .split('\n')
    .map((line) => (line === '-- ' ? line : line.replace(/[ \t]+$/, '')))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

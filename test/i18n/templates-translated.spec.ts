import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TEMPLATES = join(__dirname, '..', '..', 'src', 'infrastructure', 'web', 'templates');
/** Words that are the same in every language: the product's name and key caps. */
const UNTRANSLATED = new Set(['Parley', '· Parley', 'Ctrl', 'Enter', 'Esc']);

function templates(): Array<{ name: string; source: string }> {
  return ['pages', 'partials'].flatMap((folder) =>
    readdirSync(join(TEMPLATES, folder))
      .filter((f) => f.endsWith('.hbs'))
      .map((f) => ({ name: `${folder}/${f}`, source: readFileSync(join(TEMPLATES, folder, f), 'utf8') })),
  );
}

/**
 * Every text a person reads in a template comes from the locale files ({{t …}}): a literal word
 * between tags or in a title, label, placeholder or confirmation would show in English to everyone.
 */
describe('web templates hold no literal text', () => {
  it.each(templates().map((t) => [t.name, t.source]))('%s', (_name, source) => {
    const withoutExpressions = source.replace(/\{\{[^}]*\}\}\}?/g, '');
    const texts = [...withoutExpressions.matchAll(/>([^<>]*\p{L}{2,}[^<>]*)</gu)].map((m) => m[1].trim()).filter((text) => text && !UNTRANSLATED.has(text));
    const attributes = [...source.matchAll(/\s(title|aria-label|placeholder|data-confirm|hx-confirm|alt)="([^"]*)"/g)]
      .map((m) => `${m[1]}="${m[2]}"`)
      .filter((attribute) => /\p{L}{2,}/u.test(attribute.replace(/\{\{[^}]*\}\}/g, '').replace(/^[\w-]+=/, '')));
    expect({ texts, attributes }).toEqual({ texts: [], attributes: [] });
  });
});

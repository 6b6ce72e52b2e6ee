import { LANGUAGES, LOCALE_RESOURCES } from '../../src/infrastructure/i18n/i18n';

/** Every key, flattened to `a.b.c`, with the `{{variables}}` its text uses. */
function flatten(tree: Record<string, unknown>, prefix = ''): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (typeof value === 'string') keys.set(key, [...value.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort());
    else for (const [k, v] of flatten(value as Record<string, unknown>, key)) keys.set(k, v);
  }
  return keys;
}

describe('locale files', () => {
  const [first, ...others] = LANGUAGES;
  const reference = flatten(LOCALE_RESOURCES[first]);

  it.each(others)(`%s has exactly the keys of ${first}, each with the same variables`, (language) => {
    const keys = flatten(LOCALE_RESOURCES[language]);
    expect([...keys.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, variables] of reference) expect({ key, variables: keys.get(key) }).toEqual({ key, variables });
  });

  it('holds no empty text', () => {
    for (const language of LANGUAGES) {
      for (const [key] of flatten(LOCALE_RESOURCES[language])) {
        expect({
          language,
          key,
          empty: String(key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], LOCALE_RESOURCES[language])).trim() === '',
        }).toEqual({ language, key, empty: false });
      }
    }
  });

  it("names the views in Dutch with the source document's own words", () => {
    expect(LOCALE_RESOURCES.nl.views).toEqual({
      unassigned: 'Niet toegewezen',
      'assigned-to-me': 'Aan mij toegewezen',
      'all-open': 'Alles open',
      chat: 'Chat',
      email: 'E-mail',
      messenger: 'Messenger',
      whatsapp: 'WhatsApp',
      forms: 'Formulieren',
      bots: 'Bots',
      'all-closed': 'Alle gesloten',
      sent: 'Verzonden',
      spam: 'Spam',
      filtered: 'Gefilterd',
      trash: 'Prullenbak',
    });
  });
});

/**
 * The language a visitor's page is shown in, for channel plugins that carry their own words (chat,
 * forms): `lang` (a `?lang` query) when it names one of `languages`, else the first of
 * Accept-Language's languages that is one (by quality, then order), else `fallback`. Only the
 * first `maxRanges` entries of Accept-Language are read when given.
 */
export function visitorLanguage<L extends string>(languages: readonly L[], fallback: L, lang: unknown, acceptLanguage: unknown, maxRanges?: number): L {
  const known = (tag: string): L | null => {
    const primary = tag.trim().toLowerCase().split('-')[0];
    return (languages as readonly string[]).includes(primary) ? (primary as L) : null;
  };
  if (typeof lang === 'string') {
    const chosen = known(lang);
    if (chosen) return chosen;
  }
  if (typeof acceptLanguage !== 'string') return fallback;
  const ranked = acceptLanguage
    .split(',')
    .slice(0, maxRanges)
    .map((part, index) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, quality: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const entry of ranked) {
    const chosen = known(entry.tag);
    if (chosen) return chosen;
  }
  return fallback;
}

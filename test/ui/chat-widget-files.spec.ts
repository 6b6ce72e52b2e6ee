import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHAT_LANGUAGES, CHAT_STRINGS } from '../../src/plugins/chat/i18n';
import { renderFrame } from '../../src/plugins/chat/widget-files';

/**
 * The chat widget's files as they are served (src/plugins/chat/widget): small enough for any
 * website (the issue asks what the script weighs), every word they show in the plugin's strings in
 * both languages, and a frame page with no inline code for its CSP to allow.
 */
const WIDGET = join(__dirname, '..', '..', 'src', 'plugins', 'chat', 'widget');
const read = (name: string) => readFileSync(join(WIDGET, name), 'utf8');
const gzipped = (name: string) => gzipSync(readFileSync(join(WIDGET, name)), { level: 9 }).length;

describe('the chat widget files', () => {
  it('weigh little gzipped: the loader under 3 KB, the frame script and style together under 10 KB', () => {
    expect(gzipped('loader.js')).toBeLessThan(3 * 1024);
    expect(gzipped('frame.js') + gzipped('frame.css')).toBeLessThan(10 * 1024);
  });

  it('frame.js lists the strings it uses, and the plugin has each of them in every language', () => {
    const source = read('frame.js');
    const header = /The strings this script needs[^:]*:\n((?: \*[^\n]*\n)+?) \*\//.exec(source);
    expect(header).not.toBeNull();
    const listed = header![1]
      .replace(/\([^)]*\)/g, ' ')
      .replace(/\*/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
    expect(listed.length).toBeGreaterThan(20);
    for (const lang of CHAT_LANGUAGES) {
      const strings = CHAT_STRINGS[lang] as unknown as Record<string, string>;
      expect(listed.filter((key) => typeof strings[key] !== 'string' || strings[key].trim() === '')).toEqual([]);
    }
    // Every key the code names is in the list (a string the list lacks would show as its key).
    const english = CHAT_STRINGS.en as unknown as Record<string, string>;
    const named = [...source.matchAll(/'([a-z][A-Za-z]+)'/g)].map((m) => m[1]).filter((word) => word in english || /^error[A-Z]/.test(word));
    expect([...new Set(named)].filter((key) => !listed.includes(key))).toEqual([]);
  });

  it("the loader's own words are the plugin's, in English and Dutch", () => {
    const source = read('loader.js');
    for (const lang of CHAT_LANGUAGES) {
      const words = new RegExp(`${lang}: \\[([^\\]]*)\\]`).exec(source);
      expect(words).not.toBeNull();
      const texts = [...words![1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
      const strings = CHAT_STRINGS[lang] as unknown as Record<string, string>;
      expect(texts).toEqual([strings.openChat, strings.closeChat, strings.title, strings.unreadCount]);
    }
  });

  it('the frame page has no inline script or style, and its config cannot end the script element', () => {
    const html = renderFrame(
      read('frame.html'),
      { lang: 'en', title: 'Chat <b>' },
      { origin: '', strings: { greeting: '</script><script>alert(1)</script>' } },
    );
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<title>Chat &lt;b&gt;</title>');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(html.replace(scripts[0][2], '')).not.toMatch(/\{\{|\}\}/); // every placeholder filled
    expect(scripts.map((m) => m[1].trim())).toEqual(['type="application/json" id="parley-config"', 'src="../../assets/frame.js" defer']);
    expect(JSON.parse(scripts[0][2]).strings.greeting).toBe('</script><script>alert(1)</script>');
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });
});

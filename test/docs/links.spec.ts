import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';

/**
 * The docs hold together: every `.md` file the repository cites exists (with the section it
 * names), every relative link of the Markdown files resolves (anchors included), and every
 * "rule N" the code cites is one of the numbered inbox rules of docs/design.md. A newcomer who
 * follows a reference from a comment or the README must land somewhere real.
 */

const ROOT = resolve(__dirname, '..', '..');

/** Generated, installed or local-only folders: not the repository's own text. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'data', 'coverage', 'test-artifacts', '.test-build', '.cache', 'results']);
const TEXT_EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs', '.md', '.json', '.yml', '.yaml', '.hbs', '.css', '.html', '.sh', '']);
/** Inputs that are data, not prose: their `.md` look-alikes are not citations. */
const SKIPPED_FILES = new Set(['package-lock.json']);

function repositoryFiles(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !path.startsWith(join(ROOT, 'test', 'fixtures'))) files.push(...repositoryFiles(path));
    } else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name)) && !SKIPPED_FILES.has(entry.name)) {
      files.push(path);
    }
  }
  return files;
}

const files = repositoryFiles();
const markdownFiles = files.filter((file) => file.endsWith('.md'));
const read = (file: string) => readFileSync(file, 'utf8');
const show = (file: string) => relative(ROOT, file);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase();
    const base = text
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function headings(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => /^#{1,6}\s/.test(line))
    .map((line) => line.replace(/^#+\s+/, '').toLowerCase());
}

/** A cited path, from the citing file's folder or else from the repository root. */
function resolveCitation(file: string, cited: string): string | null {
  for (const base of [dirname(file), ROOT]) {
    const path = resolve(base, cited);
    if (existsSync(path)) return path;
  }
  return null;
}

describe('docs: citations and links resolve', () => {
  it('scans the repository (the docs folder and the sources are found)', () => {
    expect(files.map(show)).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/design.md', 'src/main.ts']));
  });

  it('every .md file cited anywhere exists, and a quoted section after it is one of its headings', () => {
    const problems: string[] = [];
    // `docs/design.md "Storage"`, `docs/api.md's error shape`, `[the guide](docs/plugins.md)`
    const citation = /(?<![\w/.:-])((?:\.{1,2}\/|[\w-]+\/)*[\w.-]+\.md)\b(?:'s)?(?:\s+"([^"\n]+)")?/g;
    for (const file of files) {
      const text = read(file);
      for (const match of text.matchAll(citation)) {
        const before = text.slice(Math.max(0, match.index - 200), match.index);
        if (/https?:\/\/\S*$/.test(before)) continue; // a web address, not a file of this repository
        const [, cited, section] = match;
        const target = resolveCitation(file, cited);
        if (!target) {
          problems.push(`${show(file)} cites ${cited}, which is not in the repository`);
          continue;
        }
        if (section && statSync(target).isFile()) {
          const wanted = section.toLowerCase();
          if (!headings(read(target)).some((heading) => heading.includes(wanted))) {
            problems.push(`${show(file)} cites ${cited} "${section}", but ${show(target)} has no such heading`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every relative link in the Markdown files resolves, anchors included', () => {
    const problems: string[] = [];
    const link = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
    for (const file of markdownFiles) {
      const text = read(file).replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
      for (const [, href] of text.matchAll(link)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http:, https:, mailto:
        const [pathPart, anchor] = href.split('#', 2);
        const target = pathPart === '' ? file : resolve(dirname(file), decodeURI(pathPart));
        if (!existsSync(target)) {
          problems.push(`${show(file)} links ${href}: ${show(target)} does not exist`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !headingAnchors(read(target)).has(anchor.toLowerCase())) {
          problems.push(`${show(file)} links ${href}: ${show(target)} has no heading #${anchor}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every repository path the Markdown files name in code spans exists', () => {
    const problems: string[] = [];
    // `src/plugins/channel-plugin.ts`, `test/ui`, `src/plugins/email/templates/{message,quoted}.text.hbs`
    const span = /`((?:src|test|docs|bench|examples|scripts|\.ci)\/[^`\s]*)`/g;
    for (const file of markdownFiles) {
      for (const [, path] of read(file).matchAll(span)) {
        if (/[<>*…]/.test(path)) continue; // a pattern or placeholder, not one path
        const braces = /^(.*)\{([^}]*)\}(.*)$/.exec(path);
        const paths = braces ? braces[2].split(',').map((part) => `${braces[1]}${part}${braces[3]}`) : [path];
        for (const one of paths) {
          if (!existsSync(join(ROOT, one))) problems.push(`${show(file)} names ${one}, which is not in the repository`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every "rule N" cited in src/ and test/ is a numbered inbox rule of docs/design.md', () => {
    const design = read(join(ROOT, 'docs/design.md'));
    const rulesSection = /^## The inbox rules\b[\s\S]*?(?=^## )/m.exec(design);
    expect(rulesSection).not.toBeNull();
    const defined = new Set([...rulesSection![0].matchAll(/^(\d+)\. \S/gm)].map((m) => Number(m[1])));
    expect(defined.size).toBeGreaterThan(0);

    const problems: string[] = [];
    let citations = 0;
    for (const file of files.filter((f) => /^(src|test)\//.test(show(f)))) {
      // "rule 4", "rules 8 and 9", "rules 5, 6 or 7"
      for (const match of read(file).matchAll(/\brules? (\d+(?:(?:, | and | or )\d+)*)\b/g)) {
        for (const number of match[1].split(/, | and | or /).map(Number)) {
          citations += 1;
          if (!defined.has(number)) problems.push(`${show(file)} cites rule ${number}, which docs/design.md does not define`);
        }
      }
    }
    expect(citations).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});

describe('README', () => {
  it('stays a front page: under 10 KB, the long topics live in docs/', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThan(10 * 1024);
  });
});

describe('headingAnchors', () => {
  it('makes the anchors GitHub makes', () => {
    const anchors = headingAnchors(
      ['# Parley', '## Write a channel plugin', '### 2. `connect(connection)`: what the host hands over', '## Parley', '```', '# not a heading', '```'].join(
        '\n',
      ),
    );
    expect([...anchors]).toEqual(['parley', 'write-a-channel-plugin', '2-connectconnection-what-the-host-hands-over', 'parley-1']);
  });
});

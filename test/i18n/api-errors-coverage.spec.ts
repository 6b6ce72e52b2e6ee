import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recogniseMessage } from '../../src/infrastructure/http/describe-error';

/**
 * The application's refusals are plain English sentences the HTTP edge recognises by their words
 * (describe-error.ts, KNOWN_MESSAGES) to give them a code and a translation. A new or reworded
 * sentence that no entry recognises would leave the API answering it in English only: this test
 * names it, with the file it is in.
 */
const root = join(__dirname, '..', '..');
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
/**
 * Sentences the scan cannot sample whole, each with why it is covered all the same: words its
 * callers pass (each value an entry of its own), or a sentence whose ending is a second literal.
 */
const COVERED_OTHERWISE = new Map([
  ['only admins can manage x1', "requireAdmin's callers pass fixed words: admin-only, admin-only-inboxes, admin-only-connections"],
  ['type: x1 is not a channel that connects to inboxes; ', 'continued by a second literal: channel-type-not-connectable, channel-type-none-connectable'],
]);
const REFUSAL =
  /new (?:NotFoundError|AccessDeniedError|InvalidRequestError|RateLimitedError|UnauthorizedException|ForbiddenException)\(\s*(?:'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`)/g;

describe("the application's refusals have codes", () => {
  it('every literal refusal of the application and the API is recognised by the edge', () => {
    const files = [...sources('src/application'), ...sources('src/infrastructure/http')];
    const found: string[] = [];
    const unknown: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(REFUSAL)) {
        // A template literal's ${…} stands for any value: try it with a sample one.
        const sentence = (m[1] ?? m[2]).replace(/\$\{[^}]*\}/g, 'x1').replace(/\\(.)/g, '$1');
        found.push(sentence);
        if (!recogniseMessage(sentence) && !COVERED_OTHERWISE.has(sentence)) unknown.push(`${file}: ${sentence}`);
      }
    }
    expect(found.length).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
    // The two sentences covered otherwise are recognised in the words they really have.
    expect(recogniseMessage('only admins can manage channel connections')?.code).toBe('admin-only-connections');
    expect(recogniseMessage('type: "fax" is not a channel that connects to inboxes; use one of "chat"')?.code).toBe('channel-type-not-connectable');
  });
});

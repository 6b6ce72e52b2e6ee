import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWidgetFolder } from '../../src/plugins/chat/widget-files';
import { defaultTranscriptTemplatesFolder } from '../../src/infrastructure/transcripts/handlebars-transcript-renderer';

/**
 * The Docker image holds dist/ and no src/: every file the code reads beside itself at run time
 * must be copied there by the build. Each lookup below is asked from the compiled code's folder
 * in a build output that has no src/ above it.
 */
describe('the build copies what the code reads beside itself', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'parley-build-assets-'));
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'copy-web-assets.mjs'), out], { stdio: 'pipe' });
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the chat widget', () => {
    const folder = defaultWidgetFolder(join(out, 'plugins', 'chat'));
    expect(folder).toBe(join(out, 'plugins', 'chat', 'widget'));
    for (const file of ['loader.js', 'frame.html', 'frame.js', 'frame.css']) expect(existsSync(join(folder, file))).toBe(true);
  });

  it('the transcript templates', () => {
    expect(defaultTranscriptTemplatesFolder(join(out, 'infrastructure', 'transcripts'))).toBe(join(out, 'infrastructure', 'transcripts', 'templates'));
  });
});

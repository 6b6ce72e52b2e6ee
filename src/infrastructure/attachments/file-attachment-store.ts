import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttachmentStore } from '../../application/ports/attachment-store.port';
import type { AttachmentRef } from '../../domain/shared/types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reply attachments and inbound files as files in the data folder: `attachments/<conversationId>/<id>` holds the
 * bytes, `<id>.json` the ref. Ids are uuids the store makes, and a file is found only under its
 * own conversation, so a path never holds a caller's words. Written to a temporary name and
 * renamed, so a crash leaves no half file under a real id. (One server's folder: a scaled-out
 * Parley needs a shared data folder for these, as for the email channel's blobs.)
 */
export class FileAttachmentStore implements AttachmentStore {
  constructor(private readonly folder: string) {}

  async put(input: { conversationId: string; filename: string; contentType: string; content: Buffer }): Promise<AttachmentRef> {
    const dir = this.dirOf(input.conversationId);
    if (!dir) throw new Error(`conversation id ${JSON.stringify(input.conversationId)} is not a uuid`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ref: AttachmentRef = { id: randomUUID(), filename: input.filename, contentType: input.contentType, size: input.content.length };
    const temporary = join(dir, `.${ref.id}.tmp`);
    await writeFile(temporary, input.content, { mode: 0o600 });
    await rename(temporary, join(dir, ref.id));
    await writeFile(join(dir, `${ref.id}.json`), JSON.stringify(ref), { mode: 0o600 });
    return ref;
  }

  async get(conversationId: string, attachmentId: string): Promise<{ ref: AttachmentRef; content: Buffer } | null> {
    const dir = this.dirOf(conversationId);
    if (!dir || !UUID.test(attachmentId)) return null;
    try {
      const ref = JSON.parse(await readFile(join(dir, `${attachmentId.toLowerCase()}.json`), 'utf8')) as AttachmentRef;
      return { ref, content: await readFile(join(dir, ref.id)) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(conversationId: string, attachmentId: string): Promise<void> {
    const dir = this.dirOf(conversationId);
    if (!dir || !UUID.test(attachmentId)) return;
    const id = attachmentId.toLowerCase();
    // The ref first: a file without its ref is never served, so a crash in between leaves nothing visible.
    await rm(join(dir, `${id}.json`), { force: true });
    await rm(join(dir, id), { force: true });
    // The folder stays: another file may be on its way into it (delete forever takes it).
  }

  async deleteConversation(conversationId: string, uploadedUpTo: Date): Promise<void> {
    const dir = this.dirOf(conversationId);
    if (!dir) return;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const id = name.slice(0, -'.json'.length);
      const written = await stat(join(dir, name)).catch(() => null);
      if (!written || written.mtime.getTime() > uploadedUpTo.getTime()) continue;
      await rm(join(dir, id), { force: true });
      await rm(join(dir, name), { force: true });
    }
    // The folder goes once it is empty (an upload since keeps it).
    await rmdir(dir).catch(() => undefined);
  }

  private dirOf(conversationId: string): string | null {
    return UUID.test(conversationId) ? join(this.folder, conversationId.toLowerCase()) : null;
  }
}

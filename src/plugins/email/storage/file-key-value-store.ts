import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PluginKeyValueStore } from './key-value-store';

/**
 * A PluginKeyValueStore in a folder: one file per key (named by the key's SHA-256, fanned out over
 * 256 sub-folders). A write goes to a temporary file that is fsynced and renamed over the target,
 * then the folder is fsynced: a crash leaves the old value or the new one, never half of one.
 */
export class FileKeyValueStore implements PluginKeyValueStore {
  constructor(private readonly root: string) {}

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async set(key: string, value: Buffer): Promise<void> {
    await this.replace(key, async (temporary) => {
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(value);
        await file.sync();
      } finally {
        await file.close();
      }
    });
  }

  async setFromFile(key: string, source: string): Promise<void> {
    await this.replace(key, async (temporary) => {
      // A second name for the same bytes when the file is on this disk (a spooled message): no copy to write.
      await link(source, temporary).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV' && error.code !== 'EPERM' && error.code !== 'ENOTSUP') throw error;
        await copyFile(source, temporary);
      });
      await chmod(temporary, 0o600);
      const file = await open(temporary, 'r');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
    });
  }

  /** Fills a temporary file beside the target, then renames it over the target and syncs the folder. */
  private async replace(key: string, fill: (temporary: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(key);
    const folder = dirname(target);
    // Owner-only, like the rest of the data folder: these are people's emails.
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fill(temporary);
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    await syncFolder(folder);
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await unlink(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await syncFolder(dirname(target));
  }

  /**
   * Narrows what an older version stored readable to others (people's emails): folders to 0700,
   * files to 0600. Called once at start; the folder is the channel's own.
   */
  async makePrivate(): Promise<void> {
    const narrow = async (path: string, mode: number) => {
      if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, mode);
    };
    try {
      await narrow(this.root, 0o700);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing stored yet
      throw error;
    }
    for (const entry of await readdir(this.root, { withFileTypes: true, recursive: true })) {
      await narrow(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o700 : 0o600);
    }
  }

  /**
   * Reads every stored value of at most `maxBytes` whose first byte is `{` (a JSON object), in no
   * particular order: how an upgrade finds what an older version kept (the file names are hashes,
   * so keys cannot be listed). Only the store's own files: not the spool, not a write in progress.
   */
  async scan(maxBytes: number, visit: (value: Buffer) => Promise<void>): Promise<void> {
    let folders: string[];
    try {
      folders = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing stored yet
      throw error;
    }
    for (const folder of folders) {
      for (const entry of await readdir(join(this.root, folder), { withFileTypes: true })) {
        if (!entry.isFile() || !/^[0-9a-f]{62}$/.test(entry.name)) continue;
        const file = join(this.root, folder, entry.name);
        let value: Buffer;
        try {
          if ((await stat(file)).size > maxBytes) continue;
          value = await readFile(file);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
          throw error;
        }
        if (value[0] === 0x7b) await visit(value);
      }
    }
  }

  private pathOf(key: string): string {
    const name = createHash('sha256').update(key, 'utf8').digest('hex');
    return join(this.root, name.slice(0, 2), name.slice(2));
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
  } finally {
    await handle.close();
  }
}

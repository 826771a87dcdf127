import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { blobKeySchema, type BlobStore } from '../../ports/transcript-store.js';

/**
 * BlobStore on the local filesystem: one file per key under `root` (the local
 * runtime uses `<dataDir>/transcripts`). Keys are checked against blobKeySchema,
 * and the resolved path must still be under the root, so no key can reach a
 * file outside it.
 */
export class FileBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Written beside and renamed into place, so a reader never sees half a body.
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, body, 'utf8');
    await rename(temporary, path);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, blobKeySchema.parse(key));
    if (!path.startsWith(`${this.root}${sep}`)) throw new Error(`blob key ${key} resolves outside ${this.root}`);
    return path;
  }
}

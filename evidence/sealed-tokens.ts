/**
 * Tokens a responder hands over as "known stolen" are secrets: they must never enter workflow
 * history or logs. They are sealed here (owner-read-only files named by their SHA-256) and the
 * incident carries only that hash, which the verification activity uses to load them back.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { sha256Hex } from './chain';
import { writeOnce } from './durable-files';

export class SealedTokenMissing extends Error {
  constructor(ref: string) {
    super(`SealedTokenMissing: no sealed token ${ref.slice(0, 12)}… in the evidence store`);
    this.name = 'SealedTokenMissing';
  }
}

export class SealedTokens {
  constructor(private readonly root: string) {}

  async seal(token: string): Promise<string> {
    const ref = sha256Hex(token);
    const file = this.file(ref);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeOnce(file, token, 0o400);
    return ref;
  }

  async open(ref: string): Promise<string> {
    try {
      return await fs.readFile(this.file(ref), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SealedTokenMissing(ref);
      throw err;
    }
  }

  private file(ref: string): string {
    if (!/^[0-9a-f]{64}$/.test(ref)) throw new Error('sealed token reference must be a SHA-256 hex digest');
    return path.join(this.root, 'sealed', ref);
  }
}

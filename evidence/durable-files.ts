/**
 * Crash-safe file writes for the evidence store. A process killed mid-write (kill -9, OOM, power
 * loss) must never leave a half-written object that a retry then takes for the real one, nor a
 * torn manifest line that makes the whole chain unreadable.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Creates `file` with `data` unless it exists: written and fsynced under a temporary name, then
 * hard-linked into place (atomic, and fails if the name is taken). Returns whether it wrote.
 */
export async function writeOnce(file: string, data: string | Buffer, mode: number): Promise<boolean> {
  const tmp = path.join(path.dirname(file), `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Appends one line, fsynced. A previous append that was cut short (no trailing newline) is cut
 * off first: that entry was never acknowledged, so the retry that follows writes it whole.
 */
export async function appendLine(file: string, line: string, mode: number): Promise<void> {
  const handle = await fs.open(file, 'a+', mode);
  try {
    const { size } = await handle.stat();
    if (size > 0) {
      const text = (await handle.readFile()).toString('utf8');
      if (!text.endsWith('\n'))
        await handle.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
    await handle.appendFile(line + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Complete lines only: a torn last line (see appendLine) is not part of the file yet. */
export function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return text
    .slice(0, end + 1)
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/**
 * The transmitter's signing key: the private EC P-256 JWK in SSF_SIGNING_KEY_FILE (every API and
 * worker replica reads the same file), or — when none is configured — one generated on first use
 * into the runtime directory (owner-only), for a single machine. Only the public half is served.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { JWK } from 'jose';
import { generateSigningKey, signingKeyFrom, type SigningKey } from './set';

const loaded = new Map<string, Promise<SigningKey>>();

export function ssfSigningKey(file: string): Promise<SigningKey> {
  const at = path.resolve(file);
  let key = loaded.get(at);
  if (!key) {
    key = load(at);
    loaded.set(at, key);
    key.catch(() => loaded.delete(at));
  }
  return key;
}

async function load(file: string): Promise<SigningKey> {
  try {
    return await signingKeyFrom(JSON.parse(readFileSync(file, 'utf8')) as JWK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`SSF signing key ${file}: ${(err as Error).message}`);
  }
  const { privateJwk } = await generateSigningKey();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: a second process starting at the same moment keeps the first one's key.
    writeFileSync(file, JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return signingKeyFrom(JSON.parse(readFileSync(file, 'utf8')) as JWK);
}

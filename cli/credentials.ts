/**
 * Where the CLI keeps who you are: the API's address, how to sign in (issuer and client id) and
 * the tokens from the last sign-in, in the OS user's config directory (IR_CONFIG_DIR, else
 * $XDG_CONFIG_HOME or ~/.config, then `identity-incident-response/`). The directory is 0700 and the
 * file 0600, written through a temporary file so a crash never leaves half a file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Profile {
  api: string;
  /** OIDC issuer and public client for the device sign-in; absent for a dev-mode API. */
  issuer?: string;
  clientId?: string;
  /** Dev-mode APIs only: who is acting (X-Actor). */
  actor?: string;
  tokens?: { accessToken: string; refreshToken?: string; expiresAt: number; idToken?: string };
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IR_CONFIG_DIR) return path.resolve(env.IR_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'identity-incident-response');
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'credentials.json');
}

export function readProfile(env: NodeJS.ProcessEnv = process.env): Profile | undefined {
  const file = credentialsFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A file others can read is not a secret any more: say so rather than use it quietly.
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(
      `${file} is readable by others (mode ${mode.toString(8)}): run 'chmod 600 ${file}' or 'ir logout', then sign in again`,
    );
  }
  try {
    return JSON.parse(text) as Profile;
  } catch {
    throw new Error(`${file} is not valid JSON: run 'ir logout' and sign in again`);
  }
}

export function writeProfile(profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = credentialsFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(profile, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/**
 * A production entry point (api/main.ts, worker/main.ts) in its own process, configured only
 * through its environment, as a deployment runs it: what a black-box check talks to.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Exited {
  code: number | null;
  output: string;
}

/** Spawns `entry` through the TypeScript loader with only `env` (and PATH, HOME); collects its output. */
function spawnEntry(entry: string, env: Record<string, string | undefined>) {
  const child = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'register-ts.js'), path.join(ROOT, entry)],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out = { text: '' };
  child.stdout!.on('data', (c: Buffer) => (out.text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.text += c.toString()));
  return { child, out };
}

export class EngineProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly output: () => string,
  ) {}

  /**
   * Starts `entry` (relative to the project) and resolves once its output contains `ready`;
   * rejects with its output if it exits first.
   */
  static async start(
    entry: string,
    env: Record<string, string | undefined>,
    ready: string,
    timeoutMs = 60_000,
  ): Promise<EngineProcess> {
    const { child, out } = spawnEntry(entry, env);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${entry} not ready in ${timeoutMs} ms:\n${out.text}`)),
        timeoutMs,
      );
      const check = () => {
        if (!out.text.includes(ready)) return;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${code}) before it was ready:\n${out.text}`));
      });
    });
    child.removeAllListeners('exit');
    return new EngineProcess(child, () => out.text);
  }

  /** Runs `entry` expecting it to refuse to start: its exit code and output. */
  static async refusal(
    entry: string,
    env: Record<string, string | undefined>,
    timeoutMs = 60_000,
  ): Promise<Exited> {
    const { child, out } = spawnEntry(entry, env);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(timer);
    return { code, output: out.text };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A loopback port free right now (for a process the test starts). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * A production entry point (api/main.ts, worker/main.ts) in its own process, configured only
 * through its environment, as a deployment runs it: what a black-box check talks to.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Exited {
  code: number | null;
  output: string;
}

export class EngineProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly output: () => string,
  ) {}

  /**
   * Starts `entry` (relative to the project) and resolves once a line of its output contains
   * `ready`; rejects with its output if it exits first.
   */
  static async start(
    entry: string,
    env: Record<string, string | undefined>,
    ready: string,
    timeoutMs = 60_000,
  ): Promise<EngineProcess> {
    const child = spawn(
      process.execPath,
      ['-r', path.join(__dirname, 'register-ts.js'), path.join(ROOT, entry)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${entry} not ready in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const check = () => {
        if (output.includes(ready)) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${code}) before it was ready:\n${output}`));
      });
    });
    child.removeAllListeners('exit');
    return new EngineProcess(child, () => output);
  }

  /** Runs `entry` expecting it to refuse to start: its exit code and output. */
  static async refusal(
    entry: string,
    env: Record<string, string | undefined>,
    timeoutMs = 60_000,
  ): Promise<Exited> {
    const child = spawn(
      process.execPath,
      ['-r', path.join(__dirname, 'register-ts.js'), path.join(ROOT, entry)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(timer);
    return { code, output };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

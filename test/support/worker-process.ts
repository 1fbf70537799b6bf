/**
 * The production worker entry point (worker/main.ts) in its own process, configured through the
 * environment as in production, so a test can kill it with SIGKILL and start it again.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { EngineConfig } from '../../config/config';
import { engineEnv } from './engine-env';
import { readTestEnv } from './env';

const ROOT = path.resolve(__dirname, '..', '..');

export class WorkerProcess {
  private child?: ChildProcess;
  starts = 0;
  kills = 0;

  constructor(
    private readonly config: EngineConfig,
    /** More environment (an empty WORKFLOW_BUNDLE_PATH makes the worker bundle its workflows itself). */
    private readonly extra: NodeJS.ProcessEnv = {},
  ) {}

  env(): NodeJS.ProcessEnv {
    return {
      ...engineEnv(this.config),
      WORKFLOW_BUNDLE_PATH: readTestEnv().workflowBundlePath,
      LOG_LEVEL: 'ERROR',
      ...this.extra,
    };
  }

  /** Starts the worker and resolves once it polls its task queue. */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(
      process.execPath,
      ['-r', path.join(__dirname, 'register-ts.js'), path.join(ROOT, 'worker', 'main.ts')],
      { cwd: ROOT, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.starts += 1;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker not ready in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('polling task queue')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
    child.removeAllListeners('exit');
    child.stdout!.resume();
    child.stderr!.resume();
  }

  /** The running worker's process id (its Temporal identity is `<pid>@<host>`). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGKILL: no shutdown, no flushing, in-flight tasks abandoned. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.kills += 1;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) await this.kill9();
  }
}

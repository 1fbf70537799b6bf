/** Runs tasks one after another per key (appends to one chain), in parallel across keys. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(task, task);
    this.tails.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }
}

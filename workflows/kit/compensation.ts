/**
 * Compensation: a playbook that acts before a human has confirmed (revert a grant, suspend an
 * actor) records, for each change, how to put it back from the state it found. When an approver
 * says it was legitimate, `compensate` undoes every change, newest first, in a non-cancellable
 * scope. A cancellation restores nothing: whoever can cancel a workflow (a Temporal UI user, a
 * direct connection) is not an approver, and undoing containment gives access back.
 */
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { ActionInput } from '../../activities';
import type { Incident, ProviderAction } from './incident';

interface Undo {
  action: ProviderAction;
  summary: string;
  input: Partial<ActionInput>;
}

export class Compensations {
  private readonly undo: Undo[] = [];

  constructor(private readonly incident: Incident) {}

  /**
   * Runs `action` and, when it changed something, records `undo` to put it back. An action that
   * changed nothing (the state was already as wanted) leaves nothing to undo.
   */
  async act(
    action: ProviderAction,
    summary: string,
    input: Partial<ActionInput>,
    undo: { action: ProviderAction; summary: string },
  ): Promise<boolean> {
    const outcome = await this.incident.act(action, summary, input);
    if (outcome?.changed) this.undo.push({ ...undo, input });
    return outcome !== undefined;
  }

  get pending(): number {
    return this.undo.length;
  }

  /** Undoes every recorded change, newest first; none is lost to a cancellation. */
  async compensate(reason: string): Promise<void> {
    if (!this.undo.length) return;
    await CancellationScope.nonCancellable(async () => {
      this.incident.log('action', `compensating ${this.undo.length} change(s): ${reason}`);
      while (this.undo.length) {
        const step = this.undo.pop()!;
        await this.incident.act(step.action, step.summary, step.input);
      }
      this.incident.publish();
    });
  }

  /**
   * Runs the playbook's body; if the incident is cancelled meanwhile, the containment stays and the
   * timeline lists what an approver could put back by hand.
   */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (isCancellation(err)) {
        if (patched('cancel-restores-nothing')) this.leaveInPlace();
        // Incidents cancelled before this rule replay as they ran.
        else await this.compensate('the incident was cancelled');
      }
      throw err;
    }
  }

  private leaveInPlace(): void {
    if (!this.undo.length) return;
    const steps = [...this.undo].reverse().map((u) => u.summary);
    this.incident.log(
      'note',
      `cancelled: containment left in place (a cancellation is not an approval); to undo, a person would: ${steps.join('; ')}`,
    );
    this.incident.publish();
  }
}

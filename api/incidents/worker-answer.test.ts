import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { describeError } from '../common/error.filter';
import { workerDidNotAnswer } from './incidents.service';

/** A gRPC error as @grpc/grpc-js hands it to the Temporal client. */
function grpcError(code: number, details: string) {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

describe('a read no worker answered', () => {
  it.each([
    ['the client deadline', grpcError(4, 'Deadline exceeded after 2.501s')],
    ['the frontend query timeout', grpcError(4, 'query timed out before a worker could process it')],
    ['the history context', grpcError(1, 'context canceled')],
    ['a workflow that is not ready', grpcError(9, 'Workflow state is not ready to handle the request.')],
    ['an unknown code with the server context words', grpcError(2, 'context deadline exceeded')],
  ])('is recognised behind the client ServiceError: %s', (_what, cause) => {
    expect(workerDidNotAnswer(new ServiceError('Failed to query Workflow', { cause }))).toBe(true);
  });

  it.each([
    ['an unknown incident', new WorkflowNotFoundError('no such workflow', 'incident-x', undefined)],
    ['a permission refusal', new ServiceError('Failed to query Workflow', { cause: grpcError(7, 'denied') })],
    ['a plain failure', new Error('boom')],
    ['nothing', undefined],
  ])('is not claimed for %s', (_what, err) => {
    expect(workerDidNotAnswer(err)).toBe(false);
  });

  it('logs an unexpected error with its causes and codes', () => {
    const err = new ServiceError('Failed to query Workflow', { cause: grpcError(14, 'connection reset') });
    expect(describeError(err)).toBe(
      'ServiceError: Failed to query Workflow <- Error (code 14): 14 connection reset',
    );
    expect(describeError('text')).toBe('text');
  });
});

import { ApplicationFailure } from '@temporalio/activity';
import { IdentityProviderError } from './identity-provider';

/**
 * Runs a provider call and turns an IdentityProviderError into the Temporal failure it means:
 * retryable or not, after the provider's requested wait (429 Retry-After) when it gave one.
 */
export async function asActivityFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IdentityProviderError) {
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: !err.retryable,
        nextRetryDelay: err.retryAfterMs,
      });
    }
    throw err;
  }
}

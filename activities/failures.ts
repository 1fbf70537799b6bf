import { ApplicationFailure } from '@temporalio/activity';
import { IdentityProviderError, PortNotSupported } from '../providers/ports';

/**
 * Runs a provider call and turns an IdentityProviderError into the Temporal failure it means:
 * retryable or not, after the provider's requested wait (429 Retry-After) when it gave one. A port
 * the provider does not offer is a non-retryable PortNotSupported.
 */
export async function asActivityFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // A port the provider lacks: no retry changes that; the playbook records it as a finding.
    if (err instanceof PortNotSupported) throw ApplicationFailure.nonRetryable(err.message, err.type);
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

import { ApplicationFailure } from '@temporalio/activity';
import { IdentityProviderError, PortNotSupported } from '../providers/ports';
import { asActivityFailure } from './failures';

describe('provider failures as Temporal failures', () => {
  it('makes a missing port a non-retryable PortNotSupported naming provider and port', async () => {
    const err = await asActivityFailure(() => Promise.reject(new PortNotSupported('okta', 'factors'))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'PortNotSupported',
      nonRetryable: true,
      message: 'not supported by okta: the okta connector has no factors port',
    });
  });

  it('keeps a throttled call retryable after the wait the provider asked for', async () => {
    const err = await asActivityFailure(() =>
      Promise.reject(new IdentityProviderError('Throttled', 'Throttled', true, 2000)),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'Throttled', nonRetryable: false, nextRetryDelay: 2000 });
  });
});

/**
 * Failure messages and stack traces moved into an encoded payload, so the payload codec encrypts
 * them too (they can name a principal). Loaded by the worker (also inside the workflow sandbox, via
 * `failureConverterPath`) and by every client.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

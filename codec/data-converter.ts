/**
 * The one data converter the engine's clients and workers share. Workflow code never sees keys:
 * encryption happens in the codec, outside the sandbox.
 */
import type { DataConverter } from '@temporalio/common';
import type { PayloadProtection } from '../config/config';
import { AesGcmPayloadCodec } from './payload-codec';

// Imported (not only resolved) so the compiler emits it next to this file.
export { failureConverter } from './failure-converter';
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** `plaintext: 'pass'` only where histories are shown to people (the codec endpoint). */
export function payloadCodec(
  protection: PayloadProtection,
  plaintext: 'refuse' | 'pass' = 'refuse',
): AesGcmPayloadCodec | undefined {
  return protection.mode === 'encrypted' ? new AesGcmPayloadCodec(protection.keys, { plaintext }) : undefined;
}

/**
 * For clients and workers alike. The failure converter is named by path so the worker can load it
 * inside the workflow sandbox too (a pre-built bundle must be built with the same path).
 */
export function engineDataConverter(protection: PayloadProtection): DataConverter {
  const codec = payloadCodec(protection);
  return { failureConverterPath: FAILURE_CONVERTER_PATH, payloadCodecs: codec ? [codec] : [] };
}

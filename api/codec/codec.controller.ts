/**
 * The remote codec the Temporal Web UI (and `temporal` CLI with --codec-endpoint) calls to show
 * decrypted payloads to people allowed to read incidents. Same body shape as Temporal's codec
 * server protocol: `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }` (proto3 JSON).
 * Authenticated like every route (viewer); CORS for the UI's origin is set up in app.ts.
 */
import { BadRequestException, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { payloadCodec } from '../../codec/data-converter';
import { PayloadKeyError } from '../../codec/payload-codec';
import { EngineConfig, requirePayloadProtection } from '../../config/config';
import { RequireRole } from '../auth/auth';
import { DocumentBody, ZodBody } from '../common/validation';
import { ENGINE_CONFIG } from '../temporal/temporal.module';
import { codecPayloadsSchema, Returns } from '../common/responses';

export const CODEC_BODY_LIMIT = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const codecBody = z
  .object({
    payloads: z
      .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
      .max(10_000),
  })
  .strict();
type CodecBody = z.infer<typeof codecBody>;
type JsonPayload = CodecBody['payloads'][number];

@ApiTags('codec')
@ApiBearerAuth()
@Controller('codec')
export class CodecController {
  private readonly codec;

  constructor(@Inject(ENGINE_CONFIG) config: EngineConfig) {
    this.codec = payloadCodec(requirePayloadProtection(config), 'pass');
  }

  @Post('decode')
  @HttpCode(200)
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Decrypt Temporal payloads for the Web UI (remote codec protocol)' })
  @Returns(200, codecPayloadsSchema)
  @DocumentBody(codecBody)
  async decode(@ZodBody(codecBody) body: CodecBody) {
    return this.apply(body, (p) => this.codec?.decode(p));
  }

  @Post('encode')
  @HttpCode(200)
  // Encrypting is writing: whoever can encode can forge payloads the workers trust.
  @RequireRole('admin')
  @ApiOperation({ summary: 'Encrypt Temporal payloads for the Web UI (remote codec protocol)' })
  @Returns(200, codecPayloadsSchema)
  @DocumentBody(codecBody)
  async encode(@ZodBody(codecBody) body: CodecBody) {
    return this.apply(body, (p) => this.codec?.encode(p));
  }

  private async apply(body: CodecBody, op: (p: Payload[]) => Promise<Payload[]> | undefined) {
    const payloads = body.payloads.map(fromJson);
    try {
      return { payloads: ((await op(payloads)) ?? payloads).map(toJson) };
    } catch (err) {
      if (err instanceof PayloadKeyError) {
        throw new BadRequestException({ error: 'BadRequest', message: err.message });
      }
      throw err;
    }
  }
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {}))
    metadata[k] = Buffer.from(v ?? []).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? []).toString('base64') };
}

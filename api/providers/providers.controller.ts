/**
 * GET /providers: the permissions doctor. For each provider and tenant the engine is configured for
 * (detection sources of providers it can act on, and any `realm` asked for), which ports the
 * worker's credentials allow and what to grant for the rest. The API holds no provider credentials:
 * a worker answers through a short workflow.
 */
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags, ApiBearerAuth } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EngineConfig } from '../../config/config';
import { PROVIDERS } from '../../domain/incident';
import { reportOk } from '../../domain/ports';
import type { providersDoctor } from '../../workflows';
import { ZodQuery } from '../common/validation';
import { providersReportSchema, Returns } from '../common/responses';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';

const providersQuery = z
  .object({
    provider: z.enum(PROVIDERS).default('keycloak'),
    realm: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .pipe(
        z.array(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'realm: letters, digits, . _ - (1-100)')).max(20),
      )
      .optional(),
  })
  .strict();

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  @Get()
  @Returns(200, providersReportSchema)
  @ApiOperation({ summary: 'What the engine may do in each configured provider (permissions doctor)' })
  @ApiQuery({
    name: 'realm',
    required: false,
    description: 'a realm or tenant to check besides the configured ones',
  })
  @ApiQuery({ name: 'provider', required: false, enum: PROVIDERS })
  async check(@ZodQuery(providersQuery) q: z.infer<typeof providersQuery>) {
    const targets = new Map<string, { provider: string; tenant: string }>();
    for (const s of this.config.detectionSources) {
      if ((PROVIDERS as readonly string[]).includes(s.provider))
        targets.set(`${s.provider}|${s.tenant}`, { provider: s.provider, tenant: s.tenant });
    }
    for (const realm of q.realm ?? [])
      targets.set(`${q.provider}|${realm}`, { provider: q.provider, tenant: realm });
    if (!targets.size)
      return { ok: true, providers: [], note: 'nothing configured: name a realm with ?realm=' };
    const providers = await this.temporal.workflow.execute<typeof providersDoctor>('providersDoctor', {
      workflowId: `providers-doctor-${randomUUID()}`,
      taskQueue: this.config.temporal.taskQueue,
      args: [{ targets: [...targets.values()] }],
      workflowExecutionTimeout: '30 seconds',
    });
    return { ok: providers.every(reportOk), providers };
  }
}

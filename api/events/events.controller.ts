import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthedRequest, RequireRole } from '../auth/auth';
import { z } from 'zod';
import { EVENT_PROVIDERS, EventProvider } from '../../detection/events';
import { ZodQuery } from '../common/validation';
import { EventsService } from './events.service';
import { ApiMetrics } from '../metrics/metrics';
import { API_METRICS } from '../metrics/metrics.controller';
import { cursorParam } from '../common/cursor';
import { alertListSchema, ingestResultSchema, Returns } from '../common/responses';

export const EVENTS_BODY_LIMIT = '5mb';

const alertsQuery = z
  .object({
    rule: z.string().max(60).optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: cursorParam,
  })
  .strict();

@ApiTags('detection')
@ApiBearerAuth()
@Controller()
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
  ) {}

  @Post('events')
  @Returns(200, ingestResultSchema, 'what was accepted, duplicate and rejected (by index), and alerts raised')
  @RequireRole('ingest')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Ingest identity-provider events (JSON array or NDJSON); bad records are listed, good ones processed',
  })
  @ApiQuery({ name: 'provider', enum: EVENT_PROVIDERS })
  @ApiConsumes('application/json', 'application/x-ndjson', 'text/plain')
  @ApiBody({
    schema: { type: 'string', description: 'A JSON array of vendor records, or one record per line' },
  })
  async ingest(@Query('provider') provider: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    if (!(EVENT_PROVIDERS as readonly string[]).includes(provider)) {
      throw new BadRequestException({
        error: 'BadRequest',
        message: `provider must be one of ${EVENT_PROVIDERS.join(', ')} (got ${provider ? `'${provider}'` : 'none'})`,
      });
    }
    const text = typeof body === 'string' ? body : '';
    if (text.trim() === '')
      throw new BadRequestException({ error: 'BadRequest', message: 'the request has no events' });
    const result = await this.events.ingest(provider as EventProvider, text, req.caller?.source);
    this.metrics.ingest(provider, result.accepted, result.duplicates, result.rejected.length);
    if (result.accepted + result.duplicates === 0 && result.rejected.length > 0) {
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'no record in the batch was usable',
        ...result,
      });
    }
    return result;
  }

  @Get('alerts')
  @Returns(200, alertListSchema)
  @ApiOperation({ summary: 'Recent detection alerts across all sources, newest first' })
  alerts(@ZodQuery(alertsQuery) q: z.infer<typeof alertsQuery>) {
    return this.events.alerts(q);
  }
}

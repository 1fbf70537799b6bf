import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequireRole } from '../auth/auth';
import { ApiMetrics } from './metrics';
import { ReturnsText } from '../common/responses';

export const API_METRICS = Symbol('API_METRICS');

@ApiTags('operations')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(API_METRICS) private readonly metrics: ApiMetrics) {}

  /**
   * Prometheus exposition. Behind the API's authentication like every other read (the counts say
   * whether an attacker has been noticed): Prometheus scrapes with a bearer token or its `oauth2`
   * client-credentials setting, for a principal holding the `viewer` role.
   */
  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Prometheus metrics of this API process and the incident picture' })
  @ApiProduces('text/plain')
  @ReturnsText('text/plain; version=0.0.4', 'Prometheus text exposition format')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    res.setHeader('Content-Type', contentType);
    res.end(body);
  }
}

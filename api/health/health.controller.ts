import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import { Public } from '../auth/auth';
import { healthSchema, Returns } from '../common/responses';
import { TEMPORAL_CLIENT } from '../temporal/temporal.module';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly temporal: Client) {}

  /** 200 when the API can reach Temporal; 503 otherwise (a load balancer takes it out of rotation). */
  @Get()
  @Returns(200, healthSchema, 'Temporal reachable (503 with status unavailable otherwise)')
  async health(@Res({ passthrough: true }) res: Response) {
    try {
      await this.temporal.withDeadline(Date.now() + 3000, () =>
        this.temporal.workflowService.getSystemInfo({}),
      );
      return { status: 'ok', temporal: 'ok' };
    } catch {
      res.status(503);
      return { status: 'unavailable', temporal: 'unreachable' };
    }
  }
}

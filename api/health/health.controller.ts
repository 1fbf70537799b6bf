import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import { Public } from '../auth/auth';
import { TEMPORAL_CLIENT } from '../temporal/temporal.module';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly temporal: Client) {}

  @Get()
  async health() {
    try {
      await this.temporal.workflowService.getSystemInfo({});
      return { status: 'ok', temporal: 'ok' };
    } catch {
      return { status: 'degraded', temporal: 'unreachable' };
    }
  }
}

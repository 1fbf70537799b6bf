import { BadRequestException, Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CallerOf } from '../common/actor';
import type { Caller } from '../auth/auth';
import { ZodQuery } from '../common/validation';
import { inboxSchema, Returns } from '../common/responses';
import { ApprovalsService } from './approvals.service';

export const inboxQuery = z
  .object({
    status: z
      .enum(['pending'], {
        message: "only 'pending' approvals are listed (decided ones are in each incident's state)",
      })
      .default('pending'),
    mine: z
      .enum(['true', 'false'], { message: "'true' or 'false'" })
      .default('false')
      .transform((v) => v === 'true'),
  })
  .strict();
export type InboxQuery = z.infer<typeof inboxQuery>;

@ApiTags('approvals')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Returns(200, inboxSchema, 'pending approvals across incidents, soonest deadline first')
  @Get()
  @ApiOperation({
    summary:
      'The approval inbox: every pending approval across incidents (mine=true: only those you may decide now)',
  })
  inbox(@ZodQuery(inboxQuery) query: InboxQuery, @CallerOf() caller?: Caller) {
    if (!caller) throw new BadRequestException({ error: 'BadRequest', message: 'no caller' });
    return this.approvals.inbox(caller, { mine: query.mine });
  }
}

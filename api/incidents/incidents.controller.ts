import { Controller, ForbiddenException, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthedRequest, RequireRole } from '../auth/auth';
import type { Response } from 'express';
import { Actor, Origin } from '../common/actor';
import type { RequestOrigin } from '../../domain/incident';
import { DocumentBody, ZodBody, ZodPipe, ZodQuery } from '../common/validation';
import {
  CloseIncidentBody,
  closeIncidentSchema,
  DecideApprovalBody,
  decideApprovalSchema,
  ListIncidentsQuery,
  listIncidentsQuery,
  OpenIncidentRequest,
  openIncidentSchema,
} from './incident.schemas';
import { IncidentsService } from './incidents.service';
import { z } from 'zod';

const incidentId = new ZodPipe(
  z.string().regex(/^incident-[0-9a-f]{24}$/, 'incident id looks like incident-<24 hex>'),
);
const runId = new ZodPipe(z.string().uuid().optional());
const actorHeader = ApiHeader({
  name: 'X-Actor',
  required: false,
  description: 'Who is acting, in AUTH_MODE=dev only (otherwise the bearer token says who)',
});

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @RequireRole('responder')
  @ApiOperation({ summary: 'Open an incident, or join the open incident for the same principal' })
  @actorHeader
  @DocumentBody(openIncidentSchema)
  async open(
    @ZodBody(openIncidentSchema) body: OpenIncidentRequest,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    // A policy override can switch approvals off: only an admin may send one.
    if (body.policy && !req.caller?.roles.includes('admin')) {
      throw new ForbiddenException({
        error: 'Forbidden',
        message: `overriding the playbook's policy needs the 'admin' role ('${actor}' is not an admin)`,
      });
    }
    const opened = await this.incidents.open(body, actor, origin);
    res.status(opened.joined ? 200 : 201);
    return opened;
  }

  @Get()
  @ApiOperation({
    summary: 'List incidents (Temporal visibility), filtered by phase, severity, principal, status',
  })
  list(@ZodQuery(listIncidentsQuery) query: ListIncidentsQuery) {
    return this.incidents.list(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'The whole incident: phase, timeline, actions, approvals, evidence, verification',
  })
  get(@Param('id', incidentId) id: string, @Query('runId', runId) run?: string) {
    return this.incidents.get(id, run);
  }

  @Post(':id/approvals')
  @RequireRole('approver')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve or reject a pending step (four-eyes: never your own request)' })
  @actorHeader
  @DocumentBody(decideApprovalSchema)
  decide(
    @Param('id', incidentId) id: string,
    @ZodBody(decideApprovalSchema) body: DecideApprovalBody,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
  ) {
    return this.incidents.decide(id, body, actor, origin);
  }

  @Post(':id/close')
  @RequireRole('responder')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close a contained incident' })
  @actorHeader
  @DocumentBody(closeIncidentSchema)
  close(
    @Param('id', incidentId) id: string,
    @ZodBody(closeIncidentSchema) body: CloseIncidentBody,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
  ) {
    return this.incidents.close(id, body, actor, origin);
  }

  @Get(':id/evidence')
  @ApiOperation({ summary: "The incident's evidence manifest and the verification of its hash chain" })
  evidence(@Param('id', incidentId) id: string, @Query('runId', runId) run?: string) {
    return this.incidents.evidence(id, run);
  }
}

import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor } from '../common/actor';
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
  required: true,
  description: 'Who is acting (recorded on the timeline)',
});

@ApiTags('incidents')
@Controller('incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @ApiOperation({ summary: 'Open an incident, or join the open incident for the same principal' })
  @actorHeader
  @DocumentBody(openIncidentSchema)
  async open(
    @ZodBody(openIncidentSchema) body: OpenIncidentRequest,
    @Actor() actor: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const opened = await this.incidents.open(body, actor);
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
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve or reject a pending step (four-eyes: never your own request)' })
  @actorHeader
  @DocumentBody(decideApprovalSchema)
  decide(
    @Param('id', incidentId) id: string,
    @ZodBody(decideApprovalSchema) body: DecideApprovalBody,
    @Actor() actor: string,
  ) {
    return this.incidents.decide(id, body, actor);
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close a contained incident' })
  @actorHeader
  @DocumentBody(closeIncidentSchema)
  close(
    @Param('id', incidentId) id: string,
    @ZodBody(closeIncidentSchema) body: CloseIncidentBody,
    @Actor() actor: string,
  ) {
    return this.incidents.close(id, body, actor);
  }

  @Get(':id/evidence')
  @ApiOperation({ summary: "The incident's evidence manifest and the verification of its hash chain" })
  evidence(@Param('id', incidentId) id: string, @Query('runId', runId) run?: string) {
    return this.incidents.evidence(id, run);
  }
}

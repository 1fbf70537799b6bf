import { Controller, ForbiddenException, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { renderReviewMarkdown } from '../../domain/review';
import { AuthedRequest, Public, RequireRole } from '../auth/auth';
import type { Response } from 'express';
import { Actor, Groups, Origin } from '../common/actor';
import type { RequestOrigin } from '../../domain/incident';
import { DocumentBody, ZodBody, ZodPipe, ZodQuery } from '../common/validation';
import {
  AddNoteBody,
  addNoteSchema,
  AddPrincipalBody,
  addPrincipalSchema,
  CloseIncidentBody,
  closeIncidentSchema,
  DecideApprovalBody,
  decideApprovalSchema,
  ListIncidentsQuery,
  listIncidentsQuery,
  OpenIncidentRequest,
  openIncidentSchema,
  UserAnswerBody,
  userAnswerSchema,
} from './incident.schemas';
import { IncidentsService } from './incidents.service';
import { z } from 'zod';
import {
  approvalDecidedSchema,
  evidenceSchema,
  incidentListSchema,
  incidentReceiptSchema,
  incidentStateSchema,
  noteAddedSchema,
  principalProposedSchema,
  reportSchema,
  Returns,
  ReturnsText,
} from '../common/responses';

const challengeTokenPipe = new ZodPipe(z.string().regex(/^[A-Za-z0-9_-]{43}$/, 't: the token from the link'));

const CHALLENGE_MESSAGES = {
  invalid: 'This link is not valid.',
  expired: 'This link has expired.',
  answered: 'This question has already been answered.',
} as const;
const CHALLENGE_ERRORS = {
  invalid: 'InvalidLink',
  expired: 'LinkExpired',
  answered: 'AlreadyAnswered',
} as const;

/** The token is in the URL: no caching, no referrer, nothing loaded from elsewhere. */
function privatePage(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  );
}

function page(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Was this you?</title></head><body><h1>Was this you?</h1>${body}</body></html>`;
}

const incidentId = new ZodPipe(
  z.string().regex(/^incident-[0-9a-f]{24}$/, 'incident id looks like incident-<24 hex>'),
);
const runId = new ZodPipe(z.string().uuid().optional());
const reviewFormat = new ZodPipe(z.enum(['json', 'markdown']).default('json'));
const drillFormat = new ZodPipe(z.enum(['json', 'scenario', 'fixture']).default('json'));
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

  @Returns(
    201,
    incidentReceiptSchema,
    'opened (200: joined the open incident; 202: running, no worker confirmed the alert yet)',
  )
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
    // 202: the incident is running but no worker confirmed the alert in time (all workers down?).
    res.status('unconfirmed' in opened ? 202 : opened.joined ? 200 : 201);
    return opened;
  }

  @Returns(200, incidentListSchema)
  @Get()
  @ApiOperation({
    summary: 'List incidents (Temporal visibility), filtered by phase, severity, principal, status',
  })
  list(@ZodQuery(listIncidentsQuery) query: ListIncidentsQuery) {
    return this.incidents.list(query);
  }

  @Returns(200, incidentStateSchema)
  @Get(':id')
  @ApiOperation({
    summary: 'The whole incident: phase, timeline, actions, approvals, evidence, verification',
  })
  get(@Param('id', incidentId) id: string, @Query('runId', runId) run?: string) {
    return this.incidents.get(id, run);
  }

  @Post(':id/approvals')
  @Returns(200, approvalDecidedSchema, 'the approval as decided')
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
    @Groups() groups: string[],
  ) {
    return this.incidents.decide(id, body, actor, origin, groups);
  }

  @Post(':id/close')
  @Returns(
    200,
    incidentStateSchema,
    'the incident as it closes (202: closing early waits for a second person)',
  )
  @RequireRole('responder')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Close with a disposition at any phase (before containment ends a second person approves; false positives and benign closes offer a rollback of reversible steps)',
  })
  @actorHeader
  @DocumentBody(closeIncidentSchema)
  async close(
    @Param('id', incidentId) id: string,
    @ZodBody(closeIncidentSchema) body: CloseIncidentBody,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) res: Response,
  ) {
    const state = await this.incidents.close(id, body, actor, origin);
    if (state.closure?.status === 'pending') res.status(202);
    return state;
  }

  @Post(':id/notes')
  @Returns(200, noteAddedSchema)
  @RequireRole('responder')
  @HttpCode(200)
  @ApiOperation({ summary: "Add a responder's note (timeline and post-incident review)" })
  @actorHeader
  @DocumentBody(addNoteSchema)
  addNote(
    @Param('id', incidentId) id: string,
    @ZodBody(addNoteSchema) body: AddNoteBody,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
  ) {
    return this.incidents.addNote(id, body.text, actor, origin);
  }

  @Post(':id/principals')
  @Returns(202, principalProposedSchema, 'proposed: contained after approval')
  @RequireRole('responder')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Propose another account of the same realm for this incident: contained after approval, its alerts then join this incident',
  })
  @actorHeader
  @DocumentBody(addPrincipalSchema)
  addPrincipal(
    @Param('id', incidentId) id: string,
    @ZodBody(addPrincipalSchema) body: AddPrincipalBody,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
  ) {
    return this.incidents.addPrincipal(id, body, actor, origin);
  }

  @Get(':id/investigation')
  @Returns(200, reportSchema, 'the investigation report')
  @ApiOperation({
    summary: 'The investigation report: blast radius, timelines, grants, persistence, findings',
  })
  investigation(@Param('id', incidentId) id: string) {
    return this.incidents.investigation(id);
  }

  @Get(':id/review')
  @Returns(200, reportSchema, 'the post-incident review (or markdown with ?format=markdown)')
  @ApiOperation({ summary: 'The post-incident review as JSON, or Markdown with ?format=markdown' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'markdown'] })
  async review(
    @Param('id', incidentId) id: string,
    @Query('format', reviewFormat) format: 'json' | 'markdown',
    @Res({ passthrough: true }) res: Response,
  ) {
    const report = await this.incidents.review(id);
    if (format !== 'markdown') return report;
    res.type('text/markdown');
    return renderReviewMarkdown(report);
  }

  @Get(':id/drill')
  @Returns(
    200,
    reportSchema,
    'the drill: a scenario replaying the incident and a detection regression fixture',
  )
  @ApiOperation({
    summary:
      'A closed incident as a drill: a pseudonymised tabletop scenario (?format=scenario: YAML) and its triggering events as a detection regression fixture (?format=fixture)',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'scenario', 'fixture'] })
  async drill(
    @Param('id', incidentId) id: string,
    @Query('format', drillFormat) format: 'json' | 'scenario' | 'fixture',
    @Res({ passthrough: true }) res: Response,
  ) {
    const drill = await this.incidents.drill(id);
    if (format === 'scenario') {
      res.type('application/yaml');
      res.setHeader('Content-Disposition', `attachment; filename="${drill.name}.yaml"`);
      return drill.scenarioYaml;
    }
    if (format === 'fixture') return drill.fixture;
    return { name: drill.name, scenario: drill.scenarioYaml, fixture: drill.fixture };
  }

  @Get(':id/was-this-you')
  @ReturnsText('text/html', 'the question page (403 forged link, 410 expired or answered)')
  @Public()
  @ApiOperation({
    summary:
      'The page a user reaches from a "was this you?" link (MFA fatigue): two buttons, no effect until one is pressed',
  })
  @ApiQuery({ name: 't', required: true })
  async wasThisYouPage(
    @Param('id', incidentId) id: string,
    @Query('t', challengeTokenPipe) token: string,
    @Res() res: Response,
  ) {
    privatePage(res);
    const check = await this.incidents.checkUserChallenge(id, token);
    if (check !== 'ok') {
      res.status(check === 'invalid' ? 403 : 410).send(page(CHALLENGE_MESSAGES[check]));
      return;
    }
    res.send(
      page(
        `<p>Someone approved a sign-in request for your account just now.</p>
<form method="post"><input type="hidden" name="t" value="${token}">
<button name="answer" value="me">Yes, it was me</button>
<button name="answer" value="not-me">No, it was not me</button></form>`,
      ),
    );
  }

  @Post(':id/was-this-you')
  @ReturnsText('text/html', 'the answer recorded')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'The user\'s answer to "was this you?" (the token from their link authenticates it)',
  })
  @DocumentBody(userAnswerSchema)
  async wasThisYou(
    @Param('id', incidentId) id: string,
    @ZodBody(userAnswerSchema) body: UserAnswerBody,
    @Origin() origin: RequestOrigin,
    @Res() res: Response,
  ) {
    privatePage(res);
    const check = await this.incidents.checkUserChallenge(id, body.t);
    if (check !== 'ok') {
      res
        .status(check === 'invalid' ? 403 : 410)
        .json({ error: CHALLENGE_ERRORS[check], message: CHALLENGE_MESSAGES[check] });
      return;
    }
    await this.incidents.recordUserAnswer(id, body.answer, origin);
    const thanks =
      body.answer === 'me'
        ? 'Thank you. Nothing changes for your account.'
        : 'Thank you. Your account is being secured: you will be asked to set a new password and second factor.';
    if ((res.req.headers['content-type'] ?? '').includes('application/json'))
      res.json({ recorded: true, answer: body.answer });
    else res.send(page(`<p>${thanks}</p>`));
  }

  @Get(':id/evidence')
  @Returns(200, evidenceSchema)
  @ApiOperation({ summary: "The incident's evidence manifest and the verification of its hash chain" })
  evidence(@Param('id', incidentId) id: string, @Query('runId', runId) run?: string) {
    return this.incidents.evidence(id, run);
  }
}

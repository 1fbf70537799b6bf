/**
 * The SSF transmitter's HTTP side (OpenID Shared Signals Framework 1.0): the configuration
 * metadata and JWKS (public), and stream management for receivers (the `receiver` role; each
 * receiver sees and changes only its own streams). Streams live in Temporal workflows
 * (workflows/ssf-stream.ts); this controller validates and forwards.
 */
import { pushTargetRefusal } from '../../ssf/egress';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ssfKeyFile, type EngineConfig } from '../../config/config';
import { EVENTS_SUPPORTED } from '../../ssf/events';
import { ssfSigningKey } from '../../ssf/keys';
import { POLL_DELIVERY, PUSH_DELIVERY, transmitterMetadata } from '../../ssf/metadata';
import { parseSubject } from '../../ssf/subjects';
import {
  configureStreamUpdate,
  deleteStreamUpdate,
  pollStreamUpdate,
  runningStreamsQuery,
  SUBJECT_FORMATS,
  streamStateQuery,
  streamStatusUpdate,
  streamSubjectUpdate,
  verifyStreamUpdate,
  type StreamConfig,
  type StreamState,
} from '../../workflows/ssf-definitions';
import { Public, RequireRole, type AuthedRequest } from '../auth/auth';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';
import { ZodPipe } from '../common/validation';
import {
  emptySchema,
  jwksSchema,
  noContentSchema,
  pollSchema,
  Returns,
  ssfMetadataSchema,
  streamConfigSchema,
  streamListSchema,
  streamStatusSchema,
} from '../common/responses';

const STREAM_ID = /^[0-9a-f-]{36}$/;
const streamId = z.string().regex(STREAM_ID, 'stream_id: the id the transmitter gave');

/**
 * Push endpoints: https to a public host, or a host the operator listed (SSF_PUSH_PRIVATE_HOSTS);
 * checked in the handler (`pushTarget`), again on every connection, never redirected (activities/ssf.ts).
 */
const endpoint = z.string().url().max(2000);

const configBody = z
  .object({
    stream_id: streamId.optional(),
    delivery: z
      .object({
        method: z.enum([PUSH_DELIVERY, POLL_DELIVERY]),
        endpoint_url: endpoint.optional(),
        authorization_header: z.string().max(4000).optional(),
      })
      .strict()
      .refine(
        (d) => d.method !== PUSH_DELIVERY || d.endpoint_url,
        'push delivery needs delivery.endpoint_url',
      )
      // SSF 1.0 §8.1.1.1: a stream created without a delivery method is polled.
      .optional(),
    events_requested: z.array(z.string().url().max(200)).max(50).default([]),
    description: z.string().max(500).optional(),
    // SSF 1.0 §8.1.1: the subject identifier format the receiver wants.
    format: z.enum(SUBJECT_FORMATS).optional(),
    aud: z.union([z.string().min(1).max(300), z.array(z.string().min(1).max(300)).min(1).max(5)]).optional(),
  })
  .passthrough();
type ConfigBody = z.infer<typeof configBody>;

/** The project's request validation (api/common/validation.ts), for bodies checked in the handler. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  return new ZodPipe(schema).transform(value);
}

const workflowIdOf = (id: string) => `ssf-stream-${id}`;

@ApiTags('ssf')
@ApiBearerAuth()
@Controller()
export class SsfController {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  /** The transmitter's address: PUBLIC_API_URL, else the address the request came to (a lab). */
  private base(req: Request): string {
    return this.config.publicApiUrl ?? `${req.protocol}://${req.get('host')}`;
  }

  private owner(req: AuthedRequest): string {
    return req.caller!.id;
  }

  private handle(id: string) {
    return this.temporal.workflow.getHandle(workflowIdOf(parse(streamId, id)));
  }

  @Returns(200, ssfMetadataSchema)
  @Get('.well-known/ssf-configuration')
  @Public()
  @ApiOperation({ summary: 'SSF transmitter configuration metadata (absolute URLs)' })
  metadata(@Req() req: Request) {
    return transmitterMetadata(this.base(req));
  }

  @Returns(200, jwksSchema)
  @Get('ssf/jwks.json')
  @Public()
  @ApiOperation({ summary: "The transmitter's public signing keys (SETs are verified against them)" })
  async jwks() {
    const key = await ssfSigningKey(ssfKeyFile(this.config));
    return { keys: [key.publicJwk] };
  }

  @Returns(201, streamConfigSchema, 'the stream, with the id the transmitter gave it')
  @Post('ssf/streams')
  @RequireRole('receiver')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an event stream (SSF 1.0 §8.1.1.1)' })
  async create(@Body() raw: unknown, @Req() req: AuthedRequest) {
    const body = parse(configBody, raw);
    this.pushTarget(body);
    if (body.stream_id)
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'stream_id is given by the transmitter',
      });
    const id = randomUUID();
    const base = this.base(req);
    const delivery = body.delivery ?? { method: POLL_DELIVERY };
    const config: StreamConfig = {
      stream_id: id,
      iss: base,
      aud: body.aud === undefined ? [req.caller!.actor] : Array.isArray(body.aud) ? body.aud : [body.aud],
      delivery: {
        method: delivery.method,
        endpoint_url: delivery.method === POLL_DELIVERY ? `${base}/ssf/poll/${id}` : delivery.endpoint_url,
      },
      events_supported: EVENTS_SUPPORTED,
      events_requested: body.events_requested,
      events_delivered: EVENTS_SUPPORTED.filter((e) => body.events_requested.includes(e)),
      ...(body.description ? { description: body.description } : {}),
      ...(body.format ? { format: body.format } : {}),
      min_verification_interval: 10,
    };
    const state: StreamState = {
      owner: this.owner(req),
      config,
      ...(delivery.authorization_header ? { authorizationHeader: delivery.authorization_header } : {}),
      status: 'enabled',
      excluded: [],
      createdAt: new Date().toISOString(),
      deliveries: [],
      waiting: {},
    };
    await this.temporal.workflow.start('ssfStream', {
      workflowId: workflowIdOf(id),
      taskQueue: this.config.temporal.taskQueue,
      args: [{ state }],
      staticSummary: `SSF stream for ${req.caller!.actor}`.slice(0, 200),
    });
    return config;
  }

  @Returns(200, streamListSchema)
  @Get('ssf/streams')
  @RequireRole('receiver')
  @ApiOperation({ summary: "Read one stream's configuration (?stream_id=) or all of yours" })
  async read(@Query('stream_id') id: string | undefined, @Req() req: AuthedRequest) {
    if (id) return (await this.mine(id, req)).config;
    const query = runningStreamsQuery(this.config.temporal.taskQueue);
    const out: StreamConfig[] = [];
    for await (const wf of this.temporal.workflow.list({ query })) {
      const s = await this.temporal.workflow
        .getHandle(wf.workflowId)
        .query(streamStateQuery)
        .catch(() => undefined);
      if (s && !s.deleted && s.owner === this.owner(req)) out.push(s.config);
      if (out.length >= 100) break;
    }
    return out;
  }

  private async mine(id: string, req: AuthedRequest): Promise<StreamState> {
    const s = await this.handle(id)
      .query(streamStateQuery)
      .catch(() => undefined);
    if (!s || s.deleted || s.owner !== this.owner(req))
      throw new NotFoundException({ error: 'StreamNotFound', message: `no stream '${id}'` });
    return s;
  }

  /** A push endpoint this deployment may not push to is a 400 that says why. */
  private pushTarget(body: ConfigBody): void {
    const url = body.delivery?.method === PUSH_DELIVERY ? body.delivery.endpoint_url : undefined;
    const refusal = url ? pushTargetRefusal(url, this.config.ssfPushPrivateHosts ?? []) : undefined;
    if (refusal)
      throw new BadRequestException({ error: 'BadRequest', message: `delivery.endpoint_url: ${refusal}` });
  }

  private async configure(raw: unknown, req: AuthedRequest, replace: boolean) {
    const body = parse(configBody.extend({ stream_id: streamId }), raw) as ConfigBody & { stream_id: string };
    this.pushTarget(body);
    const config = {
      ...(body.delivery
        ? {
            delivery: {
              method: body.delivery.method,
              endpoint_url:
                body.delivery.method === POLL_DELIVERY
                  ? `${this.base(req)}/ssf/poll/${body.stream_id}`
                  : body.delivery.endpoint_url,
            },
            ...(body.delivery.authorization_header !== undefined
              ? { authorization_header: body.delivery.authorization_header }
              : {}),
          }
        : {}),
      ...(body.events_requested ? { events_requested: body.events_requested } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.format !== undefined ? { format: body.format } : {}),
    };
    return this.handle(body.stream_id).executeUpdate(configureStreamUpdate, {
      args: [{ owner: this.owner(req), replace, config }],
    });
  }

  @Returns(200, streamConfigSchema)
  @Patch('ssf/streams')
  @RequireRole('receiver')
  @ApiOperation({ summary: "Update a stream's configuration (only the members given)" })
  update(@Body() raw: unknown, @Req() req: AuthedRequest) {
    return this.configure(raw, req, false);
  }

  @Returns(200, streamConfigSchema)
  @Put('ssf/streams')
  @RequireRole('receiver')
  @ApiOperation({ summary: "Replace a stream's configuration" })
  replace(@Body() raw: unknown, @Req() req: AuthedRequest) {
    return this.configure(raw, req, true);
  }

  @Returns(204, noContentSchema)
  @Delete('ssf/streams')
  @RequireRole('receiver')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a stream (its undelivered events go with it)' })
  async remove(@Query('stream_id') id: string, @Req() req: AuthedRequest) {
    await this.handle(id).executeUpdate(deleteStreamUpdate, { args: [{ owner: this.owner(req) }] });
  }

  @Returns(200, streamStatusSchema)
  @Get('ssf/status')
  @RequireRole('receiver')
  @ApiOperation({ summary: "A stream's status" })
  async status(@Query('stream_id') id: string, @Req() req: AuthedRequest) {
    const s = await this.mine(id, req);
    return { stream_id: s.config.stream_id, status: s.status, ...(s.reason ? { reason: s.reason } : {}) };
  }

  @Returns(200, streamStatusSchema)
  @Post('ssf/status')
  @RequireRole('receiver')
  @HttpCode(200)
  @ApiOperation({ summary: "Set a stream's status: enabled, paused (events held) or disabled (dropped)" })
  async setStatus(@Body() raw: unknown, @Req() req: AuthedRequest) {
    const body = parse(
      z
        .object({
          stream_id: streamId,
          status: z.enum(['enabled', 'paused', 'disabled']),
          reason: z.string().max(500).optional(),
        })
        .strict(),
      raw,
    );
    return this.handle(body.stream_id).executeUpdate(streamStatusUpdate, {
      args: [
        { owner: this.owner(req), status: body.status, ...(body.reason ? { reason: body.reason } : {}) },
      ],
    });
  }

  private async subject(raw: unknown, req: AuthedRequest, op: 'add' | 'remove') {
    const body = parse(
      z.object({ stream_id: streamId, subject: z.unknown(), verified: z.boolean().optional() }).strict(),
      raw,
    );
    const subject = parseSubject(body.subject);
    if (!subject)
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'subject: a subject identifier (RFC 9493: iss_sub, email, opaque or complex)',
      });
    await this.handle(body.stream_id).executeUpdate(streamSubjectUpdate, {
      args: [{ owner: this.owner(req), op, subject }],
    });
  }

  @Returns(200, emptySchema)
  @Post('ssf/subjects\\:add')
  @RequireRole('receiver')
  @HttpCode(200)
  @ApiOperation({ summary: 'Include a subject in a stream again (every subject is included by default)' })
  async addSubject(@Body() raw: unknown, @Req() req: AuthedRequest) {
    await this.subject(raw, req, 'add');
    return {};
  }

  @Returns(204, noContentSchema)
  @Post('ssf/subjects\\:remove')
  @RequireRole('receiver')
  @HttpCode(204)
  @ApiOperation({ summary: 'Exclude a subject from a stream' })
  async removeSubject(@Body() raw: unknown, @Req() req: AuthedRequest) {
    await this.subject(raw, req, 'remove');
  }

  @Returns(204, noContentSchema)
  @Post('ssf/verify')
  @RequireRole('receiver')
  @HttpCode(204)
  @ApiOperation({ summary: 'Ask for a verification event on a stream (SSF 1.0 §8.1.4)' })
  async verify(@Body() raw: unknown, @Req() req: AuthedRequest) {
    const body = parse(
      z.object({ stream_id: streamId, state: z.string().max(500).optional() }).strict(),
      raw,
    );
    await this.handle(body.stream_id).executeUpdate(verifyStreamUpdate, {
      args: [{ owner: this.owner(req), ...(body.state ? { state: body.state } : {}) }],
    });
  }

  @Returns(200, pollSchema)
  @Post('ssf/poll/:streamId')
  @RequireRole('receiver')
  @HttpCode(200)
  @ApiOperation({ summary: 'Poll a stream for SETs and acknowledge received ones (RFC 8936)' })
  async poll(
    @Param('streamId') id: string,
    @Body() raw: unknown,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const body = parse(
      z
        .object({
          ack: z.array(z.string().max(100)).max(1000).default([]),
          maxEvents: z.number().int().min(0).max(100).default(20),
          returnImmediately: z.boolean().default(true),
          setErrs: z
            .record(
              z.string().max(100),
              z.object({ err: z.string().max(100), description: z.string().max(500).optional() }),
            )
            .optional(),
        })
        .strict(),
      raw ?? {},
    );
    res.type('application/json');
    return this.handle(id).executeUpdate(pollStreamUpdate, {
      args: [
        {
          owner: this.owner(req),
          ack: body.ack,
          maxEvents: body.maxEvents,
          ...(body.setErrs ? { setErrs: body.setErrs } : {}),
        },
      ],
    });
  }
}

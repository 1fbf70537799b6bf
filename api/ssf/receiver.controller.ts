/**
 * Push delivery from upstream SSF transmitters (RFC 8935): `POST /ssf/receiver/<name>` with a SET
 * as `application/secevent+jwt`. Taken only with the authorization the engine gave the
 * transmitter when it made its stream (derived from the deployment's secret) and only when the
 * SET verifies against the transmitter's keys, issuer and the stream's audience; its events go
 * to the tenant's detector at once. Refusals answer 400 `{err, description}` (RFC 8935 §2.3), a
 * wrong or missing authorization 401.
 */
import {
  Controller,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { transmitterClient } from '../../activities/ssf-receiver';
import { deliverTenantEvents } from '../../client/detector-ingest';
import type { EngineConfig } from '../../config/config';
import { VERIFICATION_EVENT } from '../../ssf/events';
import { eventsFromSet, receiverPushAuthorization } from '../../ssf/receiver';
import { SetRefused } from '../../ssf/transmitter-client';
import {
  receiverStateQuery,
  receiverWorkflowId,
  setsTakenSignal,
} from '../../workflows/ssf-receiver-definitions';
import { Public } from '../auth/auth';
import { noContentSchema, Returns } from '../common/responses';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';

/** How long the stream's audience is trusted before it is read again from its workflow. */
const AUD_TTL_MS = 30_000;

@ApiTags('ssf')
@Controller()
export class SsfReceiverController {
  private readonly audiences = new Map<string, { aud: string[]; at: number }>();

  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  @Returns(202, noContentSchema, 'the SET is taken (its events are with detection)')
  @Post('ssf/receiver/:name')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Push delivery of SETs from an upstream SSF transmitter (RFC 8935)' })
  async push(@Param('name') name: string, @Req() req: Request): Promise<void> {
    const transmitter = this.config.ssfTransmitters?.find((t) => t.name === name && t.delivery === 'push');
    if (!transmitter || !this.config.principalKeySecret)
      throw new NotFoundException({ error: 'NotFound', message: 'no such SSF transmitter' });
    const expected = Buffer.from(receiverPushAuthorization(this.config.principalKeySecret, name));
    const given = Buffer.from(req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new HttpException({ err: 'authentication_failed', description: 'not this stream' }, 401);
    const token = typeof req.body === 'string' ? req.body.trim() : '';
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
      throw refusal('invalid_request', 'the body is not a compact SET (application/secevent+jwt)');
    const aud = await this.audience(name);
    let payload;
    try {
      payload = await transmitterClient(transmitter).verify(token, aud);
    } catch (err) {
      if (err instanceof SetRefused) throw refusal(err.err, err.message);
      throw new ServiceUnavailableException({
        error: 'TransmitterUnavailable',
        message: `the transmitter's keys could not be read: ${(err as Error).message.slice(0, 200)}`,
      });
    }
    const at = new Date().toISOString();
    const events = eventsFromSet(payload, {
      provider: transmitter.provider,
      tenant: transmitter.tenant,
      token,
      receivedAt: at,
    });
    const delivered = events.length
      ? await deliverTenantEvents(
          this.temporal,
          this.config.temporal.taskQueue,
          this.config.detectionShards ?? 1,
          transmitter.provider,
          transmitter.tenant,
          events,
        )
      : { accepted: 0 };
    await this.temporal.workflow
      .getHandle(receiverWorkflowId(name))
      .signal(setsTakenSignal, {
        sets: 1,
        events: delivered.accepted,
        at,
        kinds: [...new Set(events.map((e) => e.vendorType))],
        ...(payload.events && VERIFICATION_EVENT in payload.events ? { verified: true } : {}),
      })
      .catch(() => undefined);
  }

  /** The audience the stream's SETs carry, as the receiver workflow holds it. */
  private async audience(name: string): Promise<string[]> {
    const cached = this.audiences.get(name);
    if (cached && Date.now() - cached.at < AUD_TTL_MS) return cached.aud;
    const state = await this.temporal
      .withDeadline(Date.now() + 5_000, () =>
        this.temporal.workflow.getHandle(receiverWorkflowId(name)).query(receiverStateQuery),
      )
      .catch(() => undefined);
    if (!state?.stream)
      throw new ServiceUnavailableException({
        error: 'StreamNotReady',
        message: 'the engine has no stream at this transmitter yet',
      });
    this.audiences.set(name, { aud: state.stream.aud, at: Date.now() });
    return state.stream.aud;
  }
}

function refusal(err: string, description: string): HttpException {
  return new HttpException({ err, description }, 400);
}

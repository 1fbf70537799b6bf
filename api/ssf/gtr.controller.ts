/**
 * The engine's own Global Token Revocation endpoint (draft-parecki-oauth-global-token-revocation):
 * an identity provider or a security tool holding the `revoker` role asks the engine to log a
 * user out everywhere. The engine opens (or joins) a compromised-credential incident for the
 * user — snapshot first, then every session, offline token and downstream app cut, all on the
 * incident's record — and answers once the sessions are revoked:
 *
 * - 204: revoked;
 * - 400: a subject the engine cannot place (`iss_sub` of a Keycloak realm it serves, or `email`
 *   with GTR_EMAIL_REALM configured);
 * - 404: no such user at the identity provider;
 * - 422: it cannot be done by itself (a protected account, or a person must confirm first);
 * - 503 with Retry-After: still under way (asking again joins the same incident).
 *
 * A revoker cannot disable an account: disabling still needs a person's approval.
 */
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Post,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { EngineConfig } from '../../config/config';
import { isProtectedPrincipal, type Principal, type RequestOrigin } from '../../domain/incident';
import { parseSubject, type SubjectId } from '../../ssf/subjects';
import { RequireRole } from '../auth/auth';
import { Actor, Origin } from '../common/actor';
import { noContentSchema, Returns } from '../common/responses';
import { IncidentsService } from '../incidents/incidents.service';
import { ENGINE_CONFIG } from '../temporal/temporal.module';

/** How long the request waits for the sessions to be revoked before answering 503. */
const WAIT_MS = 20_000;
const REALM = /^[A-Za-z0-9._-]{1,100}$/;

@ApiTags('ssf')
@ApiBearerAuth()
@Controller()
export class GlobalTokenRevocationController {
  constructor(
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
    private readonly incidents: IncidentsService,
  ) {}

  @Returns(204, noContentSchema, "the user's sessions and tokens are revoked")
  @Post('global-token-revocation')
  @RequireRole('revoker')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Global Token Revocation: log a user out everywhere (opens or joins an incident)',
  })
  async revoke(
    @Body() body: unknown,
    @Actor() actor: string,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const principal = this.principalOf((body as { sub_id?: unknown } | undefined)?.sub_id);
    if (isProtectedPrincipal(principal, this.config.protectedPrincipals))
      throw new UnprocessableEntityException({
        error: 'ProtectedPrincipal',
        message: `${principal.username} is on the protected list: its containment needs two people (open an incident)`,
      });
    const opened = await this.incidents.open(
      {
        playbook: 'compromised-credential',
        principal,
        severity: 'high',
        summary: `global token revocation requested by ${actor}`,
        source: 'global-token-revocation',
        // Logging out is the caller's to ask; disabling the account stays a person's decision.
        policy: { disableAccount: { onTimeout: 'skip' } },
      },
      actor,
      origin,
    );
    res.setHeader('content-location', `/incidents/${opened.incidentId}`);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const outcome = await this.outcome(opened.incidentId).catch((err: unknown) => {
        if (err instanceof HttpException && err.getStatus() === 503) return undefined;
        throw err;
      });
      if (outcome === 'revoked') return;
      if (outcome) throw outcome;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    res.setHeader('retry-after', '10');
    throw new HttpException(
      {
        error: 'RevocationUnderWay',
        message: `incident ${opened.incidentId} is revoking ${principal.username}'s sessions; ask again to hear when it is done`,
        incidentId: opened.incidentId,
      },
      503,
    );
  }

  /** 'revoked', an answer to give, or undefined while it is under way. */
  private async outcome(incidentId: string): Promise<'revoked' | HttpException | undefined> {
    const state = await this.incidents.get(incidentId);
    const cut = state.actions.find((a) => a.action === 'revokeSessions' && !a.target);
    if (cut?.status === 'done') return 'revoked';
    // A user the identity provider does not have is a 404; anything else that stopped it, a 422.
    const failedWith = (why: string, what: string) =>
      /UserNotFound|not in realm|not found/i.test(why)
        ? new NotFoundException({
            error: 'SubjectNotFound',
            message: 'no such user at the identity provider',
            incidentId,
          })
        : new UnprocessableEntityException({
            error: 'RevocationFailed',
            message: `${what} (${why.slice(0, 300)})`,
            incidentId,
          });
    if (cut?.status === 'failed') return failedWith(cut.error, 'the sessions could not be revoked');
    if (state.status !== 'open' || state.phase === 'containment-unverified')
      return failedWith(
        state.failure ?? state.timeline.at(-1)?.message ?? state.phase,
        'the incident ended before revoking sessions',
      );
    if (state.approvals.some((a) => a.action === 'confirmContainment' && a.status === 'pending'))
      return new UnprocessableEntityException({
        error: 'NeedsConfirmation',
        message: 'containment waits for a person to confirm it in the incident',
        incidentId,
      });
    return undefined;
  }

  /** The principal a subject names, or 400 when the engine cannot place it. */
  private principalOf(raw: unknown): Principal {
    const subject: SubjectId | undefined = parseSubject(raw);
    const refuse = (message: string) =>
      new BadRequestException({ error: 'invalid_request', message: `sub_id: ${message}` });
    if (!subject) throw refuse('a subject identifier (RFC 9493) is required');
    if (subject.format === 'iss_sub') {
      const base = this.config.keycloak?.baseUrl.replace(/\/$/, '');
      const prefix = `${base}/realms/`;
      const realm =
        base && subject.iss.startsWith(prefix) ? decodeURIComponent(subject.iss.slice(prefix.length)) : '';
      if (!REALM.test(realm))
        throw refuse(`issuer '${subject.iss.slice(0, 200)}' is not a realm this engine serves`);
      if (!/^[A-Za-z0-9._@-]{1,255}$/.test(subject.sub)) throw refuse('sub: not a user id');
      return { provider: 'keycloak', realm, username: subject.sub };
    }
    if (subject.format === 'email') {
      const target = this.config.gtrEmailRealm;
      if (!target) throw refuse('email subjects need GTR_EMAIL_REALM (which identity provider and realm)');
      return { ...target, username: subject.email };
    }
    throw refuse(`format '${subject.format}' is not supported (iss_sub, email)`);
  }
}

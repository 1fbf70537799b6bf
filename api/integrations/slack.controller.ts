/**
 * Slack interactive approvals: the Slack app's interactivity Request URL. A click on an approval
 * message's button arrives here signed by Slack; the Slack person is mapped to their identity
 * (SLACK_USERS — unmapped people are refused), and the decision goes to the incident exactly as
 * from the API: the update validator applies four-eyes, exclusions, quorum and approver routing.
 * The message is then updated with the outcome (or the clicker alone is told why not).
 */
import {
  Controller,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { EngineConfig } from '../../config/config';
import type { RequestOrigin } from '../../domain/incident';
import { Public, type AuthedRequest } from '../auth/auth';
import { IncidentsService } from '../incidents/incidents.service';
import { ENGINE_CONFIG } from '../temporal/temporal.module';
import { refuseSlackRequest } from './slack';

const interaction = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().max(40),
    team_id: z.string().max(40).optional(),
    username: z.string().optional(),
  }),
  team: z.object({ id: z.string().max(40) }).nullish(),
  response_url: z.string().url().optional(),
  actions: z.array(z.object({ action_id: z.enum(['approve', 'reject']), value: z.string().max(500) })).min(1),
});

const target = z.object({
  incidentId: z.string().regex(/^incident-[0-9a-f]{24}$/),
  approvalId: z.string().regex(/^[A-Za-z]+-\d{1,4}$/),
});

@Controller('integrations/slack')
export class SlackController {
  constructor(
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
    private readonly incidents: IncidentsService,
  ) {}

  @Post('interactions')
  @Public()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async interaction(@Req() req: AuthedRequest): Promise<Record<string, never>> {
    const slack = this.config.slack;
    if (!slack)
      throw new NotFoundException({ error: 'NotFound', message: 'Slack interactivity is not configured' });
    const refusal = refuseSlackRequest(
      slack.signingSecret,
      req.header('x-slack-request-timestamp'),
      req.header('x-slack-signature'),
      req.rawBody,
    );
    if (refusal) throw new UnauthorizedException({ error: 'Unauthorized', message: refusal });

    const form = new URLSearchParams(req.rawBody!.toString('utf8'));
    let parsed: z.infer<typeof interaction>;
    let what: z.infer<typeof target>;
    try {
      parsed = interaction.parse(JSON.parse(form.get('payload') ?? ''));
      what = target.parse(JSON.parse(parsed.actions[0].value));
    } catch {
      // Signed by Slack but not one of our buttons: nothing to do.
      return {};
    }
    const reply = (body: Record<string, unknown>) => this.reply(parsed.response_url, body);
    const team = parsed.team?.id ?? parsed.user.team_id ?? '';
    const person = Object.hasOwn(slack.users, `${team}:${parsed.user.id}`)
      ? slack.users[`${team}:${parsed.user.id}`]
      : undefined;
    if (!person) {
      await reply({
        response_type: 'ephemeral',
        replace_original: false,
        text: `:no_entry: You are not mapped to an identity this engine knows (Slack ${team}:${parsed.user.id}); decide ${what.approvalId} in the console or with \`ir approve\`.`,
      });
      return {};
    }
    const decision = parsed.actions[0].action_id;
    const origin: RequestOrigin = {
      ip: req.ip ?? 'unknown',
      ...(req.header('user-agent') ? { userAgent: req.header('user-agent')!.slice(0, 200) } : {}),
      via: 'slack',
      actorId: person.actorId,
    };
    try {
      const approval = await this.incidents.decide(
        what.incidentId,
        { approvalId: what.approvalId, decision, comment: 'via Slack' },
        person.actor,
        origin,
        person.groups,
      );
      const icon =
        approval.status === 'approved'
          ? ':white_check_mark:'
          : approval.status === 'rejected'
            ? ':x:'
            : ':hourglass:';
      const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
      await reply({
        replace_original: true,
        text: `${icon} ${approval.summary} — ${decision === 'approve' ? 'approved' : 'rejected'} by ${person.actor} in Slack (${approval.status}${approval.status === 'pending' ? `, ${approvals}/${approval.quorum}` : ''})`,
      });
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? (err.cause as Error | undefined) : undefined;
      const why = cause?.message ?? (err as Error).message;
      await reply({
        response_type: 'ephemeral',
        replace_original: false,
        text: `:no_entry: Not recorded: ${why.slice(0, 300)}`,
      });
    }
    return {};
  }

  /** Posts to the interaction's response_url — only Slack's (SLACK_RESPONSE_URL_PREFIX), never elsewhere. */
  private async reply(url: string | undefined, body: Record<string, unknown>): Promise<void> {
    if (!url || !url.startsWith(this.config.slack!.responseUrlPrefix)) return;
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
  }
}

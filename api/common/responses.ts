/**
 * What the API answers, as schemas: documented in the OpenAPI document (so clients can be
 * generated) and checked against live answers by the tests (so the document cannot drift). Objects
 * that grow with the engine (an incident's full state, reports) name their stable fields and allow
 * more; the rest are exact.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z, ZodType } from 'zod';
import { PHASES, PROVIDERS, SEVERITIES } from '../../domain/incident';

const iso = z.string().describe('ISO-8601 time');
const links = z.object({ self: z.string(), temporalUi: z.string().optional() });
const principal = z.object({ provider: z.enum(PROVIDERS), realm: z.string(), username: z.string() });

export const problemSchema = z
  .object({
    type: z.string().describe('urn:identity-incident-response:problem:<Name>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    error: z.string().describe('the problem name (as in type)'),
    message: z.string().describe('the detail (as in detail)'),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details (application/problem+json)');

export const incidentSummarySchema = z.object({
  incidentId: z.string(),
  runId: z.string(),
  playbook: z.string().optional(),
  phase: z.enum(PHASES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  principalKey: z.string().optional(),
  pendingApprovals: z.array(z.string()),
  status: z.string().describe('RUNNING, COMPLETED, FAILED, …'),
  startedAt: iso,
  closedAt: iso.optional(),
  links,
});

export const incidentListSchema = z.object({
  incidents: z.array(incidentSummarySchema),
  nextCursor: z.string().optional().describe('pass as `cursor` for the next page'),
});

export const incidentReceiptSchema = z
  .object({
    incidentId: z.string(),
    runId: z.string(),
    joined: z.boolean().optional(),
    severity: z.enum(SEVERITIES).optional(),
    phase: z.enum(PHASES).optional(),
    unconfirmed: z.literal(true).optional(),
    links,
  })
  .catchall(z.unknown());

const approvalSchema = z
  .object({
    id: z.string(),
    action: z.string(),
    summary: z.string(),
    requestedBy: z.string(),
    requestedAt: iso,
    quorum: z.number().int(),
    deadline: iso,
    escalations: z.number().int(),
    status: z.string(),
    decisions: z.array(z.object({ actor: z.string(), decision: z.string(), at: iso }).catchall(z.unknown())),
    resolution: z.string().optional(),
  })
  .catchall(z.unknown());

export const incidentStateSchema = z
  .object({
    incidentId: z.string(),
    evidenceId: z.string(),
    playbook: z.string(),
    principal,
    principalKey: z.string(),
    severity: z.enum(SEVERITIES),
    summary: z.string(),
    openedBy: z.string(),
    openedAt: iso,
    phase: z.enum(PHASES),
    status: z.string(),
    alerts: z.array(
      z.object({ id: z.string(), severity: z.enum(SEVERITIES), summary: z.string() }).catchall(z.unknown()),
    ),
    timeline: z.array(z.object({ at: iso, kind: z.string(), message: z.string() }).catchall(z.unknown())),
    actions: z.array(z.object({ action: z.string(), status: z.string() }).catchall(z.unknown())),
    approvals: z.array(approvalSchema),
    evidence: z.array(z.unknown()),
    containedAt: iso.optional(),
    closedAt: iso.optional(),
  })
  .catchall(z.unknown());

export const approvalDecidedSchema = approvalSchema;

export const inboxSchema = z.object({
  approvals: z.array(
    z.object({
      approvalId: z.string(),
      incidentId: z.string(),
      playbook: z.string().optional(),
      severity: z.enum(SEVERITIES).optional(),
      phase: z.enum(PHASES).optional(),
      action: z.string(),
      summary: z.string(),
      requestedBy: z.string(),
      requestedAt: iso,
      deadline: iso,
      escalation: z.object({
        level: z.number().int(),
        of: z.number().int().optional(),
        onTimeout: z.enum(['proceed', 'skip']).optional(),
      }),
      quorum: z.object({ required: z.number().int(), approved: z.number().int() }),
      approvers: z.array(z.string()).optional(),
      decisions: z.array(z.object({ actor: z.string(), decision: z.enum(['approve', 'reject']), at: iso })),
      canDecide: z.boolean(),
      whyNot: z.string().optional().describe('why you cannot decide it now'),
    }),
  ),
  truncated: z.literal(true).optional().describe('more incidents wait than one answer reads'),
});
export const noteAddedSchema = z.object({ notes: z.number().int() });
export const principalProposedSchema = z
  .object({ principal, principalKey: z.string(), status: z.string(), approvalId: z.string().optional() })
  .catchall(z.unknown());

export const evidenceSchema = z
  .object({
    manifest: z.array(
      z.object({ seq: z.number().int(), kind: z.string(), entryHash: z.string() }).catchall(z.unknown()),
    ),
    verification: z.object({ ok: z.boolean() }).catchall(z.unknown()),
  })
  .catchall(z.unknown());

export const reportSchema = z.record(z.string(), z.unknown()).describe('a report document (see the README)');

export const ingestResultSchema = z.object({
  received: z.number().int(),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })),
  alerts: z.array(z.record(z.string(), z.unknown())),
});

export const alertListSchema = z.object({
  alerts: z.array(
    z
      .object({
        id: z.string(),
        rule: z.string(),
        severity: z.enum(SEVERITIES),
        time: iso,
        summary: z.string(),
      })
      .catchall(z.unknown()),
  ),
  unavailable: z.array(z.string()).describe('detectors that did not answer in time'),
  nextCursor: z.string().optional(),
});

export const playbookListSchema = z.object({
  playbooks: z.array(
    z.object({
      name: z.string(),
      workflowType: z.string(),
      description: z.string().optional(),
      package: z.string().nullable(),
      routedRules: z.array(z.string()).optional(),
    }),
  ),
});

export const providersReportSchema = z
  .object({
    ok: z.boolean(),
    providers: z.array(z.record(z.string(), z.unknown())),
    note: z.string().optional(),
  })
  .describe('per provider and tenant: the ports allowed and what to grant');

export const codecPayloadsSchema = z.object({
  payloads: z.array(
    z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }),
  ),
});

export const ssfMetadataSchema = z
  .object({ issuer: z.string(), jwks_uri: z.string(), delivery_methods_supported: z.array(z.string()) })
  .catchall(z.unknown());
export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
export const streamConfigSchema = z
  .object({
    stream_id: z.string(),
    iss: z.string(),
    aud: z.array(z.string()),
    delivery: z.object({ method: z.string(), endpoint_url: z.string().optional() }),
    events_supported: z.array(z.string()),
    events_requested: z.array(z.string()),
    events_delivered: z.array(z.string()),
  })
  .catchall(z.unknown());
export const streamListSchema = z.union([streamConfigSchema, z.array(streamConfigSchema)]);
export const streamStatusSchema = z.object({
  stream_id: z.string(),
  status: z.enum(['enabled', 'paused', 'disabled']),
  reason: z.string().optional(),
});
export const pollSchema = z.object({ sets: z.record(z.string(), z.string()), moreAvailable: z.boolean() });
export const noContentSchema = z.null().describe('no content');
export const emptySchema = z.object({});

export const healthSchema = z.object({ status: z.enum(['ok', 'unavailable']), temporal: z.string() });

export function responseSchema(schema: ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Documents a success answer from the schema it is checked against. */
export const Returns = (status: number, schema: ZodType, description = 'success') =>
  applyDecorators(ApiResponse({ status, description, schema: responseSchema(schema) as never }));

/** Documents a success answer that is not JSON (Prometheus text, an HTML page). */
export const ReturnsText = (contentType: string, description: string) =>
  applyDecorators(
    ApiResponse({ status: 200, description, content: { [contentType]: { schema: { type: 'string' } } } }),
  );

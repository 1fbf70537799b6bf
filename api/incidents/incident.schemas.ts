/** Request bodies at the API edge. Each schema validates and documents (OpenAPI) the same shape. */
import { z } from 'zod';
import { DISPOSITIONS, PROVIDERS, SEVERITIES } from '../../domain/incident';
import { isPlaybook } from '../../domain/playbooks';
import { cursorParam } from '../common/cursor';

const approvalPolicy = z
  .object({
    autoApproveAt: z.enum([...SEVERITIES, 'never']),
    timeoutMs: z
      .number()
      .int()
      .min(500)
      .max(30 * 24 * 3600_000),
    escalations: z.number().int().min(0).max(10),
    onTimeout: z.enum(['proceed', 'skip']),
    quorum: z.union([z.literal(1), z.literal(2)]),
    critical: z.boolean(),
  })
  .partial()
  .strict();

export const openIncidentSchema = z
  .object({
    playbook: z.string().refine(isPlaybook, {
      message: `playbook: one of the engine's or a registered package's (see GET /playbooks)`,
    }),
    principal: z
      .object({
        provider: z.enum(PROVIDERS),
        realm: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'realm: letters, digits, . _ - (1-100)'),
        username: z.string().trim().min(1).max(255),
      })
      .strict(),
    severity: z.enum(SEVERITIES),
    summary: z.string().trim().min(1).max(500),
    source: z.string().trim().min(1).max(100).default('api'),
    alertId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'alertId: letters, digits, . _ : - (1-200)')
      .optional()
      .describe('Idempotency key: the same alert sent twice counts once'),
    compromisedSince: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the compromise is believed to have started: the investigation looks from here'),
    escalation: z
      .object({
        role: z.string().trim().min(1).max(255),
        container: z.string().trim().min(1).max(255).default('realm'),
        grantedBy: z.string().trim().min(1).max(255).optional(),
        grantedAt: z.iso.datetime({ offset: true }).optional(),
      })
      .strict()
      .optional()
      .describe(
        'privilege-escalation: the grant in question (role, `realm` or the owning client id, who granted it)',
      ),
    sessionId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'sessionId: letters, digits, . _ : - (1-200)')
      .optional()
      .describe('session-hijack: the stolen session'),
    clientId: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe('leaked-client-secret: the client whose secret leaked (principal: its service account)'),
    tokenForgerySuspected: z
      .boolean()
      .optional()
      .describe(
        "Tokens may be forged (signing key leaked): eradication proposes rotating the realm's signing keys",
      ),
    suspectTokens: z
      .array(z.string().min(16).max(16384))
      .max(10)
      .optional()
      .describe('Tokens known to be stolen; sealed in the evidence store, never in workflow history'),
    policy: z
      .object({
        disableAccount: approvalPolicy,
        eradicate: approvalPolicy,
        reinstate: approvalPolicy,
        hardenRealm: approvalPolicy,
        rotateSigningKeys: approvalPolicy,
        addPrincipal: approvalPolicy,
        suspendActor: approvalPolicy,
        confirm: approvalPolicy,
        escalate: approvalPolicy,
        noAnswer: approvalPolicy,
        rotateSecret: approvalPolicy,
        askUserMs: z
          .number()
          .int()
          .min(1000)
          .max(24 * 3600_000),
        oldSigningKeys: z.enum(['disable', 'passive']),
        recoveryWaveSize: z.number().int().min(1).max(1000),
        recoveryChecks: z
          .array(z.string().regex(/^[a-z0-9-]{1,40}$/, 'check names: a-z 0-9 - (1-40)'))
          .max(10)
          .describe('Names of HTTP checks configured on the worker (RECOVERY_CHECKS)'),
        recoveryWatchMs: z
          .number()
          .int()
          .min(100)
          .max(30 * 24 * 3600_000),
        investigationLookbackMs: z
          .number()
          .int()
          .min(1000)
          .max(90 * 24 * 3600_000),
        holdOpenMs: z
          .number()
          .int()
          .min(1000)
          .max(90 * 24 * 3600_000),
      })
      .partial()
      .strict()
      .optional()
      .describe("Overrides of the playbook's default policy for this incident"),
  })
  .strict();
export type OpenIncidentRequest = z.infer<typeof openIncidentSchema>;

export const decideApprovalSchema = z
  .object({
    approvalId: z.string().min(1).max(100),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(1000).optional(),
  })
  .strict();
export type DecideApprovalBody = z.infer<typeof decideApprovalSchema>;

export const addPrincipalSchema = z
  .object({
    username: z.string().trim().min(1).max(255),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict();
export type AddPrincipalBody = z.infer<typeof addPrincipalSchema>;

export const userAnswerSchema = z
  .object({
    t: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 't: the token from the link'),
    answer: z.enum(['me', 'not-me']),
  })
  .strict();
export type UserAnswerBody = z.infer<typeof userAnswerSchema>;

export const addNoteSchema = z.object({ text: z.string().trim().min(1).max(4000) }).strict();
export type AddNoteBody = z.infer<typeof addNoteSchema>;

export const closeIncidentSchema = z
  .object({
    reason: z.string().trim().min(1).max(1000),
    disposition: z
      .enum(DISPOSITIONS)
      .optional()
      .describe('required before containment ends (a second person then approves the close)'),
  })
  .strict();
export type CloseIncidentBody = z.infer<typeof closeIncidentSchema>;

export const listIncidentsQuery = z
  .object({
    phase: z
      .string()
      .regex(/^[a-z-]{1,40}$/)
      .optional(),
    severity: z.enum(SEVERITIES).optional(),
    provider: z.enum(PROVIDERS).optional(),
    realm: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .optional(),
    username: z.string().min(1).max(255).optional(),
    status: z.enum(['open', 'closed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: cursorParam,
  })
  .strict()
  .refine((q) => !q.username || (q.provider && q.realm), {
    message: 'filtering by username also needs provider and realm',
  });
export type ListIncidentsQuery = z.infer<typeof listIncidentsQuery>;

/**
 * Tabletop exercise scenarios: YAML files describing what users and the attacker do over time,
 * the faults to inject, what the responders decide, and the outcome the playbooks must reach.
 * Validated here, with errors that name the field (`steps[3].as: unknown account 'bobb'`).
 */
import { parse, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ROUTES } from '../detection/routing';
import { isPlaybook } from '../domain/playbooks';
import type { RuleName } from '../detection/rules';

const RULES = Object.keys(ROUTES) as [RuleName, ...RuleName[]];
const id = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a-z, 0-9 and -, starting with a letter (max 40)');
const seconds = z.number().min(0).max(3600);
const ip = z.union([z.ipv4(), z.ipv6()]);

const account = z
  .object({
    id,
    /** Gives the account realm-management rights (it can grant roles through the admin API). */
    admin: z.boolean().default(false),
    roles: z.array(z.string().min(1).max(100)).max(10).default([]),
    /** Push MFA after the password; the owner answers the prompts `mfa-push` steps send (lab only). */
    mfa: z.literal('push').optional(),
  })
  .strict();

const origin = { from: ip.optional(), userAgent: z.string().min(1).max(300).optional() };

const step = z.discriminatedUnion('do', [
  z
    .object({
      at: seconds,
      do: z.literal('login'),
      as: id,
      /** Names the session for later steps (token use from elsewhere). */
      session: id.optional(),
      /** Where the login comes from (the lab records it; Keycloak sees the runner). */
      ...origin,
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('login-fail'),
      as: id,
      times: z.number().int().min(1).max(50).default(1),
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('grant-role'),
      /** The account granting (it needs `admin: true`). */
      as: id,
      to: id,
      role: z.string().min(1).max(100),
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('token-use'),
      as: id,
      session: id,
      from: ip,
      userAgent: z.string().min(1).max(300),
      /** As seen before by the upstream proxy that reports it. */
      previously: z.object({ from: ip, userAgent: z.string().min(1).max(300) }).strict(),
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('mfa-push'),
      /** The account whose password the attacker holds (it needs mfa: push). */
      as: id,
      /** One login per answer; the owner answers each prompt so, in order. */
      answers: z
        .array(z.enum(['approve', 'deny', 'ignore']))
        .min(1)
        .max(30),
      /** Seconds between prompts. */
      every: z.number().min(0).max(60).default(0.2),
      ...origin,
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('client-login'),
      /** A confidential client of the scenario, authenticating with its secret (client credentials). */
      client: id,
      times: z.number().int().min(1).max(50).default(1),
      /** Seconds between logins. */
      every: z.number().min(0).max(60).default(0.2),
      ...origin,
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('forge-tokens'),
      /** The attacker holds the realm's signing key and mints a token for each of these accounts. */
      for: z.array(id).min(1).max(30),
      ...origin,
    })
    .strict(),
  z
    .object({
      at: seconds,
      do: z.literal('answer-challenge'),
      /** The account's owner answers the "was this you?" link once it arrives. */
      as: id,
      answer: z.enum(['me', 'not-me']),
      /** Seconds to wait for the link before giving up. */
      within: seconds.default(60),
    })
    .strict(),
]);

/** The identity providers a scenario can run on. */
export const EXERCISE_IDPS = ['lab', 'keycloak', 'okta', 'entra'] as const;
export type ExerciseIdpName = (typeof EXERCISE_IDPS)[number];

/** `actions`: only the engine's changes and checks; `all`: its event collection too. */
const faultScope = z.enum(['actions', 'all']).default('all');

const fault = z.discriminatedUnion('kind', [
  /** The identity provider's admin API answers 503 for `for` seconds. */
  z.object({ kind: z.literal('idp-outage'), at: seconds, for: seconds, scope: faultScope }).strict(),
  /** It answers 429 with Retry-After for `for` seconds. */
  z
    .object({
      kind: z.literal('429-storm'),
      at: seconds,
      for: seconds,
      retryAfter: z.number().int().min(1).max(30).default(1),
      scope: faultScope,
    })
    .strict(),
]);

const responder = z
  .object({
    /** The approval's action, e.g. disableAccount, confirmIncident. */
    approval: z.string().min(1).max(60),
    /** `ignore`: nobody answers (the policy's escalation and default apply). */
    decision: z.enum(['approve', 'reject', 'ignore']),
    /** Seconds the responder takes after the request. */
    after: seconds.default(0),
    /** Who answers; several people each answer (a two-person approval). */
    by: z
      .union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1).max(5)])
      .default('exercise.approver'),
    /** Only on these providers: a question one provider's evidence raises (pushed events on Keycloak). */
    idps: z.array(z.enum(EXERCISE_IDPS)).min(1).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: id,
    description: z.string().min(1).max(2000),
    /** Where it can run (push MFA exists only in the lab; fault injection not on Entra ID). */
    idps: z
      .array(z.enum(EXERCISE_IDPS))
      .min(1)
      .default([...EXERCISE_IDPS]),
    /** The people in the story, users and attacker-controlled accounts alike. */
    accounts: z.array(account).max(30).default([]),
    /** Confidential clients (each with its service account, as Keycloak makes them). */
    clients: z.array(z.object({ id }).strict()).max(10).default([]),
    steps: z.array(step).min(1).max(200),
    faults: z.array(fault).max(10).default([]),
    responders: z.array(responder).max(20).default([]),
    /** Detection thresholds for this exercise's detector (DetectionConfig keys, compressed time). */
    detection: z.record(z.string(), z.unknown()).optional(),
    /** Approval policy overrides for the incidents of this exercise (compressed time). */
    policy: z.record(z.string(), z.unknown()).optional(),
    expect: z
      .object({
        detections: z.array(z.enum(RULES)).default([]),
        /**
         * A false-positive drill: the story must open no incident on `incidentOn` (and contain
         * nothing) while the engine watches for `watchS` seconds after the last step.
         */
        noIncident: z.boolean().default(false),
        watchS: z.number().min(1).max(600).default(20),
        playbook: z
          .string()
          .refine(isPlaybook, 'a playbook of the engine or of a loaded playbook package')
          .optional(),
        /** The account the incident is about, a client (its service account), or `realm`. */
        incidentOn: id,
        actions: z.array(z.string().min(1).max(60)).default([]),
        notActions: z.array(z.string().min(1).max(60)).default([]),
        maxTimeToContainS: z.number().positive().max(3600).optional(),
        accounts: z
          .array(
            z
              .object({
                id,
                enabled: z.boolean().optional(),
                hasRole: z.string().optional(),
                lacksRole: z.string().optional(),
              })
              .strict(),
          )
          .default([]),
        /** Every signing key the realm published before the story is gone from its JWKS. */
        signingKeysRotated: z.boolean().optional(),
        /** `secretRotated`: the client's original secret no longer gets a token. */
        clients: z.array(z.object({ id, secretRotated: z.boolean() }).strict()).default([]),
      })
      .strict(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.expect.noIncident) {
      for (const key of ['playbook', 'maxTimeToContainS'] as const)
        if (s.expect[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['expect', key],
            message: 'a scenario with noIncident opens no incident',
          });
      if (s.expect.actions.length)
        ctx.addIssue({
          code: 'custom',
          path: ['expect', 'actions'],
          message: 'noIncident: no action can be expected',
        });
    } else {
      if (s.expect.playbook === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['expect', 'playbook'],
          message: 'required (or set noIncident: true)',
        });
      if (s.expect.maxTimeToContainS === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['expect', 'maxTimeToContainS'],
          message: 'required (or set noIncident: true)',
        });
    }
    const known = new Set(s.accounts.map((a) => a.id));
    const unknown = (value: string, path: (string | number)[]) => {
      if (!known.has(value)) ctx.addIssue({ code: 'custom', path, message: `unknown account '${value}'` });
    };
    const clients = new Set(s.clients.map((c) => c.id));
    const unknownClient = (value: string, path: (string | number)[]) => {
      if (!clients.has(value)) ctx.addIssue({ code: 'custom', path, message: `unknown client '${value}'` });
    };
    s.steps.forEach((st, i) => {
      if (st.do === 'client-login') return unknownClient(st.client, ['steps', i, 'client']);
      if (st.do === 'forge-tokens') return st.for.forEach((a, j) => unknown(a, ['steps', i, 'for', j]));
      unknown(st.as, ['steps', i, 'as']);
      if (st.do === 'grant-role') {
        unknown(st.to, ['steps', i, 'to']);
        if (!s.accounts.find((a) => a.id === st.as)?.admin)
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'as'],
            message: `'${st.as}' needs admin: true to grant roles`,
          });
      }
    });
    s.steps.forEach((st, i) => {
      if (st.do !== 'mfa-push') return;
      if (s.accounts.find((a) => a.id === st.as)?.mfa !== 'push')
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'as'],
          message: `'${st.as}' needs mfa: push to receive prompts`,
        });
    });
    const pushMfa = s.accounts.some((a) => a.mfa) || s.steps.some((st) => st.do === 'mfa-push');
    if (pushMfa && s.idps.includes('keycloak'))
      ctx.addIssue({
        code: 'custom',
        path: ['idps'],
        message: 'push MFA exists only in the lab identity provider: set idps: [lab]',
      });
    if (s.steps.some((st) => st.do === 'client-login') && s.idps.includes('keycloak'))
      ctx.addIssue({
        code: 'custom',
        path: ['idps'],
        message:
          "client-login steps need the lab identity provider (Keycloak sees only the runner's address): set idps: [lab]",
      });
    if (s.steps.some((st) => st.do === 'forge-tokens') && s.idps.includes('keycloak'))
      ctx.addIssue({
        code: 'custom',
        path: ['idps'],
        message:
          'forge-tokens steps need the lab identity provider (Keycloak never hands out its private keys): set idps: [lab]',
      });
    const onRealm = s.expect.incidentOn === 'realm';
    if (!onRealm && !known.has(s.expect.incidentOn) && !clients.has(s.expect.incidentOn))
      ctx.addIssue({
        code: 'custom',
        path: ['expect', 'incidentOn'],
        message: `unknown account or client '${s.expect.incidentOn}'`,
      });
    s.expect.clients.forEach((c, i) => unknownClient(c.id, ['expect', 'clients', i, 'id']));
    if (!s.accounts.length && !s.clients.length)
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message: 'a scenario needs an account or a client',
      });
    s.expect.accounts.forEach((a, i) => unknown(a.id, ['expect', 'accounts', i, 'id']));
    const sessions = new Set(s.steps.flatMap((st) => (st.do === 'login' && st.session ? [st.session] : [])));
    s.steps.forEach((st, i) => {
      if (st.do === 'token-use' && !sessions.has(st.session))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'session'],
          message: `no login names session '${st.session}'`,
        });
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = Scenario['steps'][number];

/** A scenario file could not be used: every problem, one per line, each naming its field. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** Parses and validates a scenario's YAML text; throws ScenarioError naming every problem. */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, maxAliasCount: 10 });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ScenarioError(file, [`not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = scenarioSchema.safeParse(doc);
  if (!result.success) {
    throw new ScenarioError(
      file,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`),
    );
  }
  return result.data;
}

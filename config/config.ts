/**
 * Runtime configuration from the environment (optionally a JSON file named by IR_CONFIG, whose keys
 * are the same variable names). Secrets come from the environment or the file, never from code.
 */
import { pushHostName } from '../ssf/egress';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DetectionSource } from '../detection/sources';
import { EVENT_PROVIDERS } from '../detection/events';
import { DetectionConfig, detectionTuning } from '../detection/rules';
import type { EntraSettings } from '../providers/entra/settings';
import type { OktaConnectorSettings } from '../providers/okta/connection';
import { OKTA_ENGINE_SCOPES } from '../providers/okta/settings';
import type { S3EvidenceSettings } from '../evidence/s3-store';
import { parsePayloadKeys, PayloadKey, PayloadKeyError } from '../codec/payload-codec';
import {
  ACTION_NAMES,
  PROVIDERS as PRINCIPAL_PROVIDERS,
  SEVERITIES,
  type PlaybookId,
  type ProtectedPrincipal,
  type ProviderName,
} from '../domain/incident';
import { isPlaybook, playbookNames } from '../domain/playbooks';
import type { PlaybookPackage } from '../kit/package';
import type { RuleName } from '../detection/rules';
import { loadPlaybookPackages, packageRoutes } from './playbook-packages';
import type { ApproverRoute, PolicyOverrides } from '../domain/policy';
import { parseGtrApps, type GtrApp } from '../ssf/gtr';
import { parseTransmitters, type TransmitterSettings } from '../ssf/receiver';

/** How payloads in Temporal are protected: AES-256-GCM keys, or an explicit, logged opt-out. */
export type PayloadProtection = { mode: 'encrypted'; keys: PayloadKey[] } | { mode: 'plaintext' };

/**
 * How to reach Temporal securely: TLS (server CA, server name), mTLS (client certificate and key),
 * and Temporal Cloud API keys. Every connection the engine makes (client, worker, CLI scripts) uses it.
 */
export interface TemporalTls {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface EngineConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl?: string;
    /** TEMPORAL_TLS=on, or any of TEMPORAL_TLS_CA_FILE / _CERT_FILE / _KEY_FILE / _SERVER_NAME / TEMPORAL_API_KEY. */
    tls?: TemporalTls;
    /** Temporal Cloud API key (TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE); always over TLS. */
    apiKey?: string;
  };
  keycloak?: { baseUrl: string; adminRealm?: string; clientId: string; clientSecret: string };
  /**
   * Okta org (OKTA_ORG_URL, OKTA_API_TOKEN): detectors pull its System Log and playbooks contain its
   * users with the same token; OKTA_INTROSPECTION_CLIENT_ID names a client suspect tokens are
   * introspected with.
   */
  okta?: OktaConnectorSettings;
  /** Entra ID app (AuditLog.Read.All) whose sign-ins `entra:` detectors pull. */
  entra?: EntraSettings;
  /**
   * The in-process lab identity provider (LAB_IDP=on): a demo realm the worker hosts on loopback
   * (LAB_IDP_PORT, default 18090), with its own detector. Only ever selected here, explicitly.
   */
  lab?: { realm: string; port: number };
  /** Local evidence folder; also where sealed tokens live when evidence goes to S3. */
  evidenceDir: string;
  /** EVIDENCE_STORE=s3: evidence on S3-compatible storage with Object Lock (see README). */
  evidenceS3?: S3EvidenceSettings;
  notifyWebhookUrl?: string;
  /** Slack-compatible incoming webhook (NOTIFY_SLACK_WEBHOOK_URL). */
  notifySlackWebhookUrl?: string;
  /** Microsoft Teams Workflows webhook (NOTIFY_TEAMS_WEBHOOK_URL): an Adaptive Card per notification. */
  notifyTeamsWebhookUrl?: string;
  /**
   * The SSF transmitter's private signing key, a P-256 JWK (SSF_SIGNING_KEY_FILE; the same file for
   * every API and worker replica). Default: beside the evidence directory, made on first use.
   */
  ssfSigningKeyFile?: string;
  /** The API as responders reach it (PUBLIC_API_URL): notifications link to its console. */
  publicApiUrl?: string;
  /**
   * Downstream apps with a Global Token Revocation endpoint (GTR_APPS, JSON `[{name, endpoint,
   * subject}]`): containment asks each to revoke the user's tokens, with a JWT the engine signs
   * (issuer PUBLIC_API_URL, keys at its /ssf/jwks.json).
   */
  gtrApps?: GtrApp[];
  /**
   * Where the engine's own global token revocation endpoint looks up `email` subjects
   * (GTR_EMAIL_REALM, `provider/realm`); `iss_sub` subjects name their Keycloak realm themselves.
   */
  gtrEmailRealm?: { provider: ProviderName; realm: string };
  /**
   * Upstream SSF transmitters the engine subscribes to as a receiver (SSF_TRANSMITTERS, JSON): their
   * SETs become detection events of the provider and tenant each names.
   */
  ssfTransmitters?: TransmitterSettings[];
  /**
   * Hosts an SSF receiver's push endpoint may name although they are not public
   * (SSF_PUSH_PRIVATE_HOSTS, comma-separated host names or addresses, exact): only these may be
   * private, loopback or link-local addresses, or plain http. Default: none.
   */
  ssfPushPrivateHosts?: string[];
  /** The console's public OIDC client (CONSOLE_CLIENT_ID): authorization code with PKCE, in AUTH_AUTHORIZED_PARTIES. */
  consoleClientId?: string;
  /**
   * Slack interactive approvals (SLACK_SIGNING_SECRET, SLACK_USERS): approval messages get buttons
   * and the API's POST /integrations/slack/interactions decides them for mapped people only.
   */
  slack?: SlackSettings;
  /**
   * Policy overrides for the incidents detection opens, per playbook (PLAYBOOK_POLICIES, JSON:
   * `{"compromised-credential": {"disableAccount": {"timeoutMs": 600000}}}`).
   */
  playbookPolicies?: Partial<Record<PlaybookId, PolicyOverrides>>;
  /** Playbook packages (PLAYBOOK_PACKAGES): their playbooks are registered, their workflows bundled. */
  playbookPackages?: PlaybookPackage[];
  /** Detection rules the packages route to their playbooks instead of the engine's. */
  playbookRoutes?: Partial<Record<RuleName, string>>;
  /**
   * "Was this you?" questions to users (MFA fatigue): the HMAC secret of their links
   * (USER_CHALLENGE_SECRET, worker and API), where to send them (USER_CHALLENGE_WEBHOOK_URL: an
   * e-mail or chat gateway) and the API's address as users reach it (PUBLIC_API_URL).
   */
  userChallenge?: { secret: string; webhookUrl?: string; publicApiUrl: string };
  /** Recovery integrity checks playbooks may name (RECOVERY_CHECKS `name=url,…`). */
  recoveryChecks?: Record<string, string>;
  /** Investigations one worker runs at once (INVESTIGATIONS_PER_WORKER, default 4): containment first. */
  investigationConcurrency?: number;
  /**
   * The worker's Prometheus endpoint (`/metrics`: the SDK's `temporal_` metrics and the engine's
   * `ir_` ones): WORKER_METRICS_HOST (default 127.0.0.1) and WORKER_METRICS_PORT (default 9464;
   * `off` for none). Undefined when off.
   */
  workerMetrics?: { host: string; port: number };
  /** `corsOrigins`: browser origins allowed to call the codec endpoint (the Temporal UI's). */
  api: {
    host: string;
    port: number;
    corsOrigins: string[];
    /**
     * Per client address (API_RATE_LIMIT `<requests>/<seconds>`, default 600/60; `off`), counted in
     * Redis across replicas with API_RATE_LIMIT_REDIS_URL.
     */
    rateLimit?: { requests: number; windowMs: number; redisUrl?: string };
    /** Express `trust proxy` (API_TRUST_PROXY: hop count, `loopback`, CIDRs): the client address behind a proxy. */
    trustProxy?: string | number;
  };
  /** Event sources that sign their pushes (INGEST_HMAC_SECRETS `name:provider:secret,…`). */
  ingestSources?: IngestSource[];
  /** How API callers are authenticated: an OIDC issuer's bearer tokens, or explicit dev mode. */
  /** Required by the API (not by the worker). */
  auth?: OidcAuth | { mode: 'dev' };
  /** Identity sources with a detector; `pull` makes it poll the provider (Keycloak, Okta). */
  detectionSources: DetectionSource[];
  /** DETECTION_RULES: rule thresholds and windows over the defaults (docs/detection-coverage.md). */
  detectionRules?: Partial<DetectionConfig>;
  /**
   * Pushed events of a tenant split over this many principal-shard detectors plus one tenant-wide
   * detector (DETECTION_SHARDS, 1–64; default 1: one detector per tenant). Changing it starts a new
   * set of detectors with empty windows.
   */
  detectionShards?: number;
  /** Required by the worker and the API (PAYLOAD_KEYS / PAYLOAD_KEYS_FILE, or PAYLOAD_ENCRYPTION=off). */
  payloads?: PayloadProtection;
  /**
   * Principals never contained automatically, every step on them needing two approvers
   * (PROTECTED_PRINCIPALS `provider:realm|*:username,…`); the engine's own Keycloak service account
   * (`service-account-<KEYCLOAK_CLIENT_ID>`) is always on it.
   */
  protectedPrincipals?: ProtectedPrincipal[];
  /** Which groups may decide which approvals (APPROVER_ROUTES; domain/policy.ts ApproverRoute). */
  approverRoutes?: ApproverRoute[];
  /**
   * Keys principal names in workflow ids and search attributes (PRINCIPAL_KEY_SECRET, at least 32
   * characters, or PRINCIPAL_KEY_SECRET_FILE). Required by the API and the worker; the same on all.
   */
  principalKeySecret?: Buffer;
}

/** The engine's roles; each is granted by exactly one configured role name (AUTH_ROLE_NAMES). */
export const ENGINE_ROLES = [
  'viewer',
  'responder',
  'approver',
  'admin',
  'ingest',
  'receiver',
  'revoker',
] as const;
export type EngineRole = (typeof ENGINE_ROLES)[number];

/**
 * Bearer tokens of one OIDC issuer: the audience must name this API (AUTH_AUDIENCE), the
 * authorized party must be one of `authorizedParties` (AUTH_AUTHORIZED_PARTIES; default: the
 * audiences), and roles are read from one claim (AUTH_ROLES_CLAIM, a dotted path) by their exact
 * configured names (AUTH_ROLE_NAMES) — nothing else grants a role.
 */
export interface OidcAuth {
  mode: 'oidc';
  issuer: string;
  /**
   * Where to fetch the issuer's keys when the API reaches the issuer by another address than the
   * one in its tokens (AUTH_JWKS_URL; e.g. inside a container network). Default: from discovery.
   */
  jwksUrl?: string;
  audience: string[];
  authorizedParties: string[];
  rolesClaim: string;
  /** Where the token carries group names (AUTH_GROUPS_CLAIM, default `groups`; `none` to ignore): approver routing. */
  groupsClaim?: string;
  roleNames: Record<EngineRole, string>;
}

export const DEFAULT_ROLE_NAMES: Record<EngineRole, string> = {
  viewer: 'ir-viewer',
  responder: 'ir-responder',
  approver: 'ir-approver',
  admin: 'ir-admin',
  ingest: 'ir-ingest',
  receiver: 'ir-ssf-receiver',
  revoker: 'ir-token-revoker',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(`ConfigError: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Where the SSF signing key is (config.ssfSigningKeyFile, else beside the evidence directory). */
export function ssfKeyFile(config: EngineConfig): string {
  return config.ssfSigningKeyFile ?? path.join(path.dirname(config.evidenceDir), 'ssf-signing-key.json');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const file = env.IR_CONFIG ? readJson(env.IR_CONFIG) : {};
  const get = (key: string): string | undefined => env[key] ?? file[key];

  const keycloakUrl = get('KEYCLOAK_URL');
  let keycloak: EngineConfig['keycloak'];
  if (keycloakUrl) {
    const clientSecret = get('KEYCLOAK_CLIENT_SECRET');
    if (!clientSecret) throw new ConfigError('KEYCLOAK_URL is set but KEYCLOAK_CLIENT_SECRET is not');
    keycloak = {
      baseUrl: keycloakUrl,
      adminRealm: get('KEYCLOAK_ADMIN_REALM'),
      clientId: get('KEYCLOAK_CLIENT_ID') ?? 'ir-engine',
      clientSecret,
    };
  }
  const oktaUrl = get('OKTA_ORG_URL');
  const oktaToken = get('OKTA_API_TOKEN');
  const oktaApp = parseOktaServiceApp(get);
  if (oktaUrl && Boolean(oktaToken) === Boolean(oktaApp))
    throw new ConfigError(
      'OKTA_ORG_URL needs exactly one credential: OKTA_API_TOKEN, or a service app (OKTA_CLIENT_ID with OKTA_PRIVATE_KEY_FILE)',
    );
  const entraTenant = get('ENTRA_TENANT_ID');
  const entraClient = get('ENTRA_CLIENT_ID');
  const entraSecret = get('ENTRA_CLIENT_SECRET');
  const entraCertificate = get('ENTRA_CLIENT_CERTIFICATE_FILE');
  const entraManaged = parseOnOff('ENTRA_MANAGED_IDENTITY', get('ENTRA_MANAGED_IDENTITY'));
  const entraCredentials = [entraSecret, entraCertificate, entraManaged || undefined].filter(Boolean).length;
  if (entraTenant && !entraClient) throw new ConfigError('ENTRA_TENANT_ID is set but ENTRA_CLIENT_ID is not');
  if (entraTenant && entraCredentials !== 1)
    throw new ConfigError(
      'ENTRA_TENANT_ID needs exactly one credential: ENTRA_CLIENT_SECRET, ENTRA_CLIENT_CERTIFICATE_FILE (PEM with the certificate and its private key) or ENTRA_MANAGED_IDENTITY=on',
    );
  const lab = parseLab(get('LAB_IDP'), get('LAB_IDP_PORT'));
  const port = Number(get('API_PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`API_PORT '${get('API_PORT')}' is not a port`);

  return {
    temporal: {
      address: get('TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
      namespace: get('TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: get('TEMPORAL_TASK_QUEUE') ?? 'identity-incidents',
      uiUrl: get('TEMPORAL_UI_URL'),
      ...parseTemporalSecurity(get),
    },
    keycloak,
    lab,
    okta:
      oktaUrl && (oktaToken || oktaApp)
        ? {
            orgUrl: oktaUrl,
            ...(oktaToken ? { apiToken: oktaToken } : { oauth: oktaApp }),
            ...(get('OKTA_INTROSPECTION_CLIENT_ID')
              ? { introspectionClientId: get('OKTA_INTROSPECTION_CLIENT_ID') }
              : {}),
          }
        : undefined,
    entra:
      entraTenant && entraClient
        ? {
            tenantId: entraTenant,
            clientId: entraClient,
            ...(entraSecret ? { clientSecret: entraSecret } : {}),
            ...(entraCertificate ? { clientCertificateFile: path.resolve(entraCertificate) } : {}),
            ...(entraManaged ? { managedIdentity: true } : {}),
            authority: get('ENTRA_AUTHORITY') ?? 'https://login.microsoftonline.com',
            graphUrl: get('ENTRA_GRAPH_URL') ?? 'https://graph.microsoft.com',
            lateArrivalMs: parseMillis('ENTRA_LATE_ARRIVAL_MS', get('ENTRA_LATE_ARRIVAL_MS')),
          }
        : undefined,
    evidenceDir: path.resolve(get('EVIDENCE_DIR') ?? '.runtime/evidence'),
    evidenceS3: parseEvidenceS3(get),
    notifyWebhookUrl: get('NOTIFY_WEBHOOK_URL'),
    notifySlackWebhookUrl: get('NOTIFY_SLACK_WEBHOOK_URL'),
    notifyTeamsWebhookUrl: get('NOTIFY_TEAMS_WEBHOOK_URL'),
    consoleClientId: get('CONSOLE_CLIENT_ID'),
    publicApiUrl: get('PUBLIC_API_URL')?.replace(/\/$/, ''),
    gtrApps: asConfigError(() => parseGtrApps(get('GTR_APPS'), get('PUBLIC_API_URL'))),
    gtrEmailRealm: parseProviderRealm('GTR_EMAIL_REALM', get('GTR_EMAIL_REALM')),
    ssfTransmitters: asConfigError(() =>
      parseTransmitters(get('SSF_TRANSMITTERS'), get('PUBLIC_API_URL'), (f) =>
        readFileSync(path.resolve(f), 'utf8'),
      ),
    ),
    ...(get('SSF_SIGNING_KEY_FILE') ? { ssfSigningKeyFile: path.resolve(get('SSF_SIGNING_KEY_FILE')!) } : {}),
    ssfPushPrivateHosts: list(get('SSF_PUSH_PRIVATE_HOSTS')).map(pushHostName),
    slack: parseSlack(get),
    recoveryChecks: parseRecoveryChecks(get('RECOVERY_CHECKS')),
    investigationConcurrency: parseSlots('INVESTIGATIONS_PER_WORKER', get('INVESTIGATIONS_PER_WORKER')),
    workerMetrics: parseWorkerMetrics(get('WORKER_METRICS_HOST'), get('WORKER_METRICS_PORT')),
    ...packagesAndPolicies(get('PLAYBOOK_PACKAGES'), get('PLAYBOOK_POLICIES')),
    // (After the packages: routes may name their playbooks.)
    approverRoutes: parseApproverRoutes(get('APPROVER_ROUTES')),
    userChallenge: parseUserChallenge(get, port),
    api: {
      host: get('API_HOST') ?? '127.0.0.1',
      port,
      corsOrigins: parseOrigins(get('API_CORS_ORIGINS') ?? get('TEMPORAL_UI_URL')),
      rateLimit: parseRateLimit(get('API_RATE_LIMIT'), get('API_RATE_LIMIT_REDIS_URL')),
      trustProxy: parseTrustProxy(get('API_TRUST_PROXY')),
    },
    ingestSources: parseIngestSources(get('INGEST_HMAC_SECRETS')),
    auth: parseAuth(get, get('API_HOST') ?? '127.0.0.1'),
    detectionSources: withLabSource(parseSources(get('DETECTION_SOURCES')), lab),
    detectionRules: parseDetectionRules(get('DETECTION_RULES')),
    detectionShards: parseShards(get('DETECTION_SHARDS')),
    payloads: parsePayloads(get('PAYLOAD_KEYS'), get('PAYLOAD_KEYS_FILE'), get('PAYLOAD_ENCRYPTION')),
    protectedPrincipals: parseProtectedPrincipals(get('PROTECTED_PRINCIPALS'), keycloak?.clientId),
    principalKeySecret: parsePrincipalKeySecret(
      get('PRINCIPAL_KEY_SECRET'),
      get('PRINCIPAL_KEY_SECRET_FILE'),
    ),
  };
}

function parseProtectedPrincipals(value: string | undefined, engineClientId?: string): ProtectedPrincipal[] {
  const list: ProtectedPrincipal[] = engineClientId
    ? [{ provider: 'keycloak', realm: '*', username: `service-account-${engineClientId}` }]
    : [];
  for (const spec of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [provider, realm, ...rest] = spec.split(':');
    const username = rest.join(':');
    if (!provider || !realm || !username) {
      throw new ConfigError(
        `PROTECTED_PRINCIPALS entry '${spec.slice(0, 80)}' should be <provider>:<realm or *>:<username>`,
      );
    }
    list.push({ provider, realm, username });
  }
  return list;
}

function parseTemporalSecurity(
  get: (key: string) => string | undefined,
): Pick<EngineConfig['temporal'], 'tls' | 'apiKey'> {
  const file = (key: string): Buffer | undefined => {
    const name = get(key);
    if (!name) return undefined;
    try {
      return readFileSync(name);
    } catch (err) {
      throw new ConfigError(`cannot read ${key} '${name}': ${(err as NodeJS.ErrnoException).code}`);
    }
  };
  const apiKey = get('TEMPORAL_API_KEY') ?? file('TEMPORAL_API_KEY_FILE')?.toString('utf8').trim();
  const ca = file('TEMPORAL_TLS_CA_FILE');
  const crt = file('TEMPORAL_TLS_CERT_FILE');
  const key = file('TEMPORAL_TLS_KEY_FILE');
  const serverName = get('TEMPORAL_TLS_SERVER_NAME');
  const mode = get('TEMPORAL_TLS');
  if (mode && mode !== 'on' && mode !== 'off')
    throw new ConfigError(`TEMPORAL_TLS must be 'on' or 'off' (got '${mode}')`);
  if (Boolean(crt) !== Boolean(key)) {
    throw new ConfigError('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together (mTLS needs both)');
  }
  const wantsTls = mode === 'on' || Boolean(ca || crt || serverName || apiKey);
  if (mode === 'off' && wantsTls) {
    throw new ConfigError(
      'TEMPORAL_TLS=off contradicts the TLS settings or API key given (an API key never travels in clear)',
    );
  }
  if (!wantsTls) return {};
  return {
    tls: {
      ...(serverName ? { serverNameOverride: serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    },
    ...(apiKey ? { apiKey } : {}),
  };
}

function parseMillis(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0)
    throw new ConfigError(`${name} must be a whole number of ms >= 0, not '${value}'`);
  return ms;
}

function parseShards(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new ConfigError(`DETECTION_SHARDS must be a whole number from 1 to 64, not '${value}'`);
  return n;
}

function parseSlots(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new ConfigError(`${name} must be a whole number from 1 to 256, not '${value}'`);
  return n;
}

function parseLab(mode: string | undefined, portText: string | undefined): EngineConfig['lab'] {
  if (mode === undefined || mode === '' || mode === 'off') return undefined;
  if (mode !== 'on') throw new ConfigError(`LAB_IDP must be 'on' or 'off', not '${mode}'`);
  const port = Number(portText ?? 18090);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`LAB_IDP_PORT '${portText}' is not a port`);
  return { realm: 'lab', port };
}

/** The lab's realm gets a detector unless DETECTION_SOURCES already names one for it. */
function withLabSource(sources: DetectionSource[], lab: EngineConfig['lab']): DetectionSource[] {
  if (!lab || sources.some((s) => s.provider === 'lab' && s.tenant === lab.realm)) return sources;
  // The lab starts with the worker: read it from its start (an hour covers it).
  return [
    ...sources,
    { provider: 'lab', tenant: lab.realm, pull: { intervalMs: 1000, lookbackMs: 3_600_000 } },
  ];
}

function parseUserChallenge(
  get: (key: string) => string | undefined,
  port: number,
): EngineConfig['userChallenge'] {
  const secret = get('USER_CHALLENGE_SECRET');
  if (!secret) return undefined;
  if (secret.length < 32) throw new ConfigError('USER_CHALLENGE_SECRET must be at least 32 characters');
  return {
    secret,
    webhookUrl: get('USER_CHALLENGE_WEBHOOK_URL'),
    publicApiUrl: (get('PUBLIC_API_URL') ?? `http://${get('API_HOST') ?? '127.0.0.1'}:${port}`).replace(
      /\/$/,
      '',
    ),
  };
}

function parseDetectionRules(raw: string | undefined): Partial<DetectionConfig> | undefined {
  if (!raw?.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('DETECTION_RULES is not JSON');
  }
  try {
    return detectionTuning(parsed);
  } catch (err) {
    throw new ConfigError(`DETECTION_RULES: ${(err as Error).message}`);
  }
}

function parsePlaybookPolicies(raw: string | undefined): EngineConfig['playbookPolicies'] {
  if (!raw?.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLAYBOOK_POLICIES is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError('PLAYBOOK_POLICIES must be an object keyed by playbook name');
  for (const key of Object.keys(parsed)) {
    if (!isPlaybook(key))
      throw new ConfigError(
        `PLAYBOOK_POLICIES: unknown playbook '${key}' (known: ${playbookNames().join(', ')})`,
      );
  }
  return parsed as EngineConfig['playbookPolicies'];
}

/**
 * APPROVER_ROUTES: a JSON array of `{ playbooks?, actions?, severities?, approvers }`, read in
 * order (domain/policy.ts approversFor). Every name is checked: a misspelt action or playbook
 * would otherwise leave its approvals open to any approver without a word.
 */
export function parseApproverRoutes(raw: string | undefined): ApproverRoute[] | undefined {
  if (!raw?.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('APPROVER_ROUTES is not JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('APPROVER_ROUTES must be a JSON array of routes');
  const group = /^[A-Za-z0-9@._:/ -]{1,100}$/;
  const known = { playbooks: playbookNames(), actions: [...ACTION_NAMES], severities: [...SEVERITIES] };
  return parsed.map((route: unknown, i): ApproverRoute => {
    const at = `APPROVER_ROUTES[${i}]`;
    if (typeof route !== 'object' || route === null || Array.isArray(route))
      throw new ConfigError(`${at} must be an object`);
    const r = route as Record<string, unknown>;
    const extra = Object.keys(r).filter(
      (k) => !['playbooks', 'actions', 'severities', 'approvers'].includes(k),
    );
    if (extra.length) throw new ConfigError(`${at}: unknown field '${extra[0]}'`);
    const names = (key: keyof typeof known | 'approvers', required: boolean): string[] | undefined => {
      const v = r[key];
      if (v === undefined && !required) return undefined;
      if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== 'string'))
        throw new ConfigError(`${at}.${key} must be a non-empty array of names`);
      for (const name of v as string[]) {
        if (key === 'approvers' ? !group.test(name) : !(known[key] as string[]).includes(name))
          throw new ConfigError(
            key === 'approvers'
              ? `${at}.approvers: '${name.slice(0, 60)}' is not a group name`
              : `${at}.${key}: unknown '${name.slice(0, 60)}' (known: ${known[key].join(', ')})`,
          );
      }
      return v as string[];
    };
    const playbooks = names('playbooks', false);
    const actions = names('actions', false);
    const severities = names('severities', false) as ApproverRoute['severities'];
    return {
      ...(playbooks ? { playbooks } : {}),
      ...(actions ? { actions } : {}),
      ...(severities ? { severities } : {}),
      approvers: names('approvers', true)!,
    };
  });
}

/** `provider/realm` (e.g. `keycloak/corp`). */
function parseProviderRealm(
  name: string,
  raw: string | undefined,
): { provider: ProviderName; realm: string } | undefined {
  if (!raw?.trim()) return undefined;
  const [provider, realm, ...rest] = raw.trim().split('/');
  if (
    rest.length ||
    !(PRINCIPAL_PROVIDERS as readonly string[]).includes(provider) ||
    !/^[A-Za-z0-9._-]{1,100}$/.test(realm ?? '')
  )
    throw new ConfigError(
      `${name} must be provider/realm with provider one of ${PRINCIPAL_PROVIDERS.join(', ')} (got '${raw.slice(0, 100)}')`,
    );
  return { provider: provider as ProviderName, realm };
}

/** A parser's plain Error as the configuration error it is. */
function asConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** `name=url,…`: the HTTP checks a recovery wave may be asked to pass. */
function parseRecoveryChecks(raw: string | undefined): Record<string, string> | undefined {
  if (!raw?.trim()) return undefined;
  const checks: Record<string, string> = {};
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    const name = part.slice(0, at);
    const url = part.slice(at + 1);
    if (at < 1 || !/^[a-z0-9-]{1,40}$/.test(name)) {
      throw new ConfigError(`RECOVERY_CHECKS: '${part.slice(0, 60)}' is not name=url (name: a-z 0-9 -)`);
    }
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new ConfigError(`RECOVERY_CHECKS: check '${name}' needs an http(s) URL`);
    }
    checks[name] = url;
  }
  return checks;
}

function parseEvidenceS3(get: (key: string) => string | undefined): S3EvidenceSettings | undefined {
  const store = get('EVIDENCE_STORE') ?? 'local';
  if (store === 'local') return undefined;
  if (store !== 's3') throw new ConfigError(`EVIDENCE_STORE must be 'local' or 's3' (got '${store}')`);
  const need = (key: string) => {
    const v = get(key);
    if (!v) throw new ConfigError(`EVIDENCE_STORE=s3 needs ${key}`);
    return v;
  };
  const lockMode = get('S3_LOCK_MODE') ?? 'COMPLIANCE';
  if (lockMode !== 'COMPLIANCE' && lockMode !== 'GOVERNANCE') {
    throw new ConfigError(`S3_LOCK_MODE must be COMPLIANCE or GOVERNANCE (got '${lockMode}')`);
  }
  const retentionDays = Number(get('S3_RETENTION_DAYS') ?? 365);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new ConfigError('S3_RETENTION_DAYS must be a whole number of days >= 1');
  }
  const endpoint = get('S3_ENDPOINT');
  if (endpoint && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw new ConfigError(`S3_ENDPOINT '${endpoint}' is not an http(s) origin (e.g. http://127.0.0.1:9000)`);
  const accessKeyId = get('S3_ACCESS_KEY_ID');
  const secretAccessKey = get('S3_SECRET_ACCESS_KEY');
  // Both, or neither: then the SDK's default chain (environment, web identity, instance roles).
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
    throw new ConfigError(
      'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (the AWS default credential chain)',
    );
  return {
    ...(endpoint ? { endpoint } : {}),
    region: get('S3_REGION') ?? 'us-east-1',
    bucket: need('S3_BUCKET'),
    ...(accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, sessionToken: get('S3_SESSION_TOKEN') }
      : {}),
    lockMode,
    retentionDays,
  };
}

export interface IngestSource {
  name: string;
  /** The only provider this source may push events for. */
  provider: DetectionSource['provider'];
  /** The only tenants (realms, orgs) whose events it may push. */
  tenants: string[];
  secret: string;
}

function parseRateLimit(
  value: string | undefined,
  redisUrl: string | undefined,
): EngineConfig['api']['rateLimit'] {
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl))
    throw new ConfigError('API_RATE_LIMIT_REDIS_URL should be a redis:// or rediss:// URL');
  if (value === 'off') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value ?? '600/60');
  const requests = Number(m?.[1]);
  const seconds = Number(m?.[2]);
  if (!m || requests < 1 || seconds < 1) {
    throw new ConfigError(
      `API_RATE_LIMIT should be <requests>/<seconds> like 600/60, or off (got '${value}')`,
    );
  }
  return { requests, windowMs: seconds * 1000, ...(redisUrl ? { redisUrl } : {}) };
}

function parseTrustProxy(value: string | undefined): string | number | undefined {
  if (!value) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export interface SlackSettings {
  /** The Slack app's signing secret: every interaction request is checked against it. */
  signingSecret: string;
  /**
   * Slack people who may decide approvals, as whom: `<team id>:<user id>` → the identity the IdP
   * gives them (the same `actorId` as their OIDC token's issuer#subject, so four-eyes holds across
   * Slack and the API) and their groups for approver routing. Anyone else is refused.
   */
  users: Record<string, { actor: string; actorId: string; groups: string[] }>;
  /** Where interaction `response_url`s may point (default https://hooks.slack.com/). */
  responseUrlPrefix: string;
}

function parseSlack(get: (key: string) => string | undefined): SlackSettings | undefined {
  const secret =
    get('SLACK_SIGNING_SECRET') ??
    (get('SLACK_SIGNING_SECRET_FILE')
      ? readFileSync(get('SLACK_SIGNING_SECRET_FILE')!, 'utf8').trim()
      : undefined);
  const usersRaw = get('SLACK_USERS');
  if (!secret) {
    if (usersRaw) throw new ConfigError('SLACK_USERS is set but SLACK_SIGNING_SECRET is not');
    return undefined;
  }
  if (secret.length < 16)
    throw new ConfigError('SLACK_SIGNING_SECRET looks too short to be a Slack signing secret');
  let parsed: unknown;
  try {
    parsed = JSON.parse(usersRaw ?? '{}');
  } catch {
    throw new ConfigError('SLACK_USERS is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(
      'SLACK_USERS must be an object: {"<team id>:<user id>": {"actor", "actorId", "groups"}}',
    );
  const users: SlackSettings['users'] = {};
  for (const [key, v] of Object.entries(parsed)) {
    const e = v as Record<string, unknown>;
    if (!/^T[A-Z0-9]{2,20}:[UW][A-Z0-9]{2,20}$/.test(key))
      throw new ConfigError(`SLACK_USERS key '${key.slice(0, 40)}' should be <team id>:<user id> (T…:U…)`);
    if (typeof e?.actor !== 'string' || !/^[A-Za-z0-9@._+-]{1,100}$/.test(e.actor))
      throw new ConfigError(`SLACK_USERS['${key}'].actor must be a username`);
    if (typeof e.actorId !== 'string' || !e.actorId.includes('#'))
      throw new ConfigError(
        `SLACK_USERS['${key}'].actorId must be the person's <issuer>#<subject> (as the API sees their token)`,
      );
    const groups = e.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))
      throw new ConfigError(`SLACK_USERS['${key}'].groups must be an array of names`);
    users[key] = { actor: e.actor, actorId: e.actorId, groups: groups as string[] };
  }
  const prefix = get('SLACK_RESPONSE_URL_PREFIX') ?? 'https://hooks.slack.com/';
  if (!URL.canParse(prefix)) throw new ConfigError('SLACK_RESPONSE_URL_PREFIX is not a URL');
  return { signingSecret: secret, users, responseUrlPrefix: prefix };
}

/** `<name>:<provider>@<tenant>[|<tenant>…]:<secret>,…`: each source bound to one provider and its tenants. */
function parseIngestSources(value: string | undefined): IngestSource[] {
  if (!value) return [];
  const names = new Set<string>();
  return value.split(',').map((spec, i) => {
    const [name, bound, ...rest] = spec.trim().split(':');
    const secret = rest.join(':');
    const [provider, tenantList] = (bound ?? '').split('@');
    const tenants = (tenantList ?? '').split('|').filter(Boolean);
    if (
      !/^[A-Za-z0-9._-]{1,64}$/.test(name ?? '') ||
      !PROVIDERS.includes(provider) ||
      !tenants.length ||
      tenants.some((t) => !/^[A-Za-z0-9._-]{1,100}$/.test(t)) ||
      !secret
    ) {
      throw new ConfigError(
        `INGEST_HMAC_SECRETS entry ${i + 1} should look like <source name>:<${PROVIDERS.join('|')}>@<tenant>[|<tenant>…]:<secret>`,
      );
    }
    if (secret.length < 32) {
      throw new ConfigError(`INGEST_HMAC_SECRETS: the secret of '${name}' is shorter than 32 characters`);
    }
    if (names.has(name)) throw new ConfigError(`INGEST_HMAC_SECRETS names '${name}' twice`);
    names.add(name);
    return { name, provider: provider as IngestSource['provider'], tenants, secret };
  });
}

/** Every provider whose events the engine reads. */
const PROVIDERS: readonly string[] = EVENT_PROVIDERS;

function parseOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((raw) => {
    const spec = raw.trim();
    let origin: string;
    try {
      origin = new URL(spec).origin;
    } catch {
      throw new ConfigError(`API_CORS_ORIGINS entry '${spec}' is not a URL like http://127.0.0.1:8233`);
    }
    if (origin === 'null') throw new ConfigError(`API_CORS_ORIGINS entry '${spec}' has no origin`);
    return origin;
  });
}

function parsePayloads(
  keys: string | undefined,
  keysFile: string | undefined,
  encryption: string | undefined,
): PayloadProtection | undefined {
  if (encryption === 'off') {
    if (keys || keysFile) throw new ConfigError('PAYLOAD_ENCRYPTION=off contradicts PAYLOAD_KEYS');
    return { mode: 'plaintext' };
  }
  if (encryption && encryption !== 'on') {
    throw new ConfigError(`PAYLOAD_ENCRYPTION must be 'on' or 'off' (got '${encryption}')`);
  }
  let spec = keys;
  if (!spec && keysFile) {
    try {
      spec = readFileSync(keysFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `cannot read PAYLOAD_KEYS_FILE '${keysFile}': ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  if (!spec) return undefined;
  try {
    return { mode: 'encrypted', keys: parsePayloadKeys(spec) };
  } catch (err) {
    if (err instanceof PayloadKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

function parsePrincipalKeySecret(value: string | undefined, file: string | undefined): Buffer | undefined {
  let text = value;
  if (!text && file) {
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `cannot read PRINCIPAL_KEY_SECRET_FILE '${file}': ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  if (!text) return undefined;
  if (text.length < 32) throw new ConfigError('PRINCIPAL_KEY_SECRET must be at least 32 characters');
  return Buffer.from(text, 'utf8');
}

/** Workers and the API refuse to start without the secret that keys principal names. */
export function requirePrincipalKeySecret(config: EngineConfig): Buffer {
  if (!config.principalKeySecret) {
    throw new ConfigError(
      'set PRINCIPAL_KEY_SECRET (or PRINCIPAL_KEY_SECRET_FILE): at least 32 random characters, the same for the API and every worker, e.g. from `openssl rand -base64 32`; it keys the principal names in incident ids and search attributes',
    );
  }
  return config.principalKeySecret;
}

/** Workers and the API refuse to start without an explicit choice about payload encryption. */
export function requirePayloadProtection(config: EngineConfig): PayloadProtection {
  if (!config.payloads) {
    throw new ConfigError(
      'set PAYLOAD_KEYS (or PAYLOAD_KEYS_FILE) to encrypt what the engine stores in Temporal — `<id>:<base64 of 32 random bytes>`, e.g. from `openssl rand -base64 32` — or PAYLOAD_ENCRYPTION=off for a local trial',
    );
  }
  return config.payloads;
}

/** `keycloak:corp` (pull every 5 s), `okta:acme:10000` (every 10 s), `entra:contoso:push` — comma-separated. */
function parseSources(value: string | undefined): DetectionSource[] {
  if (!value) return [];
  return value.split(',').map((spec) => {
    const [provider, tenant, mode] = spec.trim().split(':');
    if (!PROVIDERS.includes(provider) || !tenant) {
      throw new ConfigError(
        `DETECTION_SOURCES entry '${spec}' should look like <${PROVIDERS.join('|')}>:<realm or tenant>[:<pull ms>|:push]`,
      );
    }
    const pullable = ['keycloak', 'okta', 'entra', 'lab'].includes(provider);
    const pull = mode === 'push' || !pullable ? undefined : { intervalMs: Number(mode ?? 5000) };
    if (pull && (!Number.isInteger(pull.intervalMs) || pull.intervalMs < 100)) {
      throw new ConfigError(
        `DETECTION_SOURCES entry '${spec}': the pull interval must be a whole number of ms >= 100`,
      );
    }
    return { provider: provider as DetectionSource['provider'], tenant, pull };
  });
}

function parseAuth(get: (key: string) => string | undefined, apiHost: string): EngineConfig['auth'] {
  const mode = get('AUTH_MODE');
  const issuer = get('AUTH_ISSUER');
  if (mode === 'dev') {
    // Dev mode trusts a header for who is acting: never beside a real issuer, never off loopback.
    if (issuer) throw new ConfigError('AUTH_MODE=dev contradicts AUTH_ISSUER: choose one');
    if (!isLoopbackHost(apiHost)) {
      throw new ConfigError(
        `AUTH_MODE=dev only on a loopback API_HOST (127.0.0.1, ::1, localhost), not '${apiHost}': anyone who reaches it could contain accounts`,
      );
    }
    return { mode: 'dev' };
  }
  if (mode && mode !== 'oidc') throw new ConfigError(`AUTH_MODE must be 'oidc' or 'dev' (got '${mode}')`);
  if (!issuer) {
    if (mode === 'oidc') throw new ConfigError('AUTH_MODE=oidc needs AUTH_ISSUER');
    return undefined;
  }
  const audience = list(get('AUTH_AUDIENCE'));
  if (!audience.length) {
    throw new ConfigError(
      "AUTH_ISSUER is set but AUTH_AUDIENCE is not: name the audience the issuer puts in this API's tokens (e.g. ir-api)",
    );
  }
  const rolesClaim = get('AUTH_ROLES_CLAIM') ?? 'realm_access.roles';
  if (!/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/.test(rolesClaim)) {
    throw new ConfigError(`AUTH_ROLES_CLAIM '${rolesClaim}' is not a claim name or dotted path`);
  }
  const groupsClaim = get('AUTH_GROUPS_CLAIM') ?? 'groups';
  if (groupsClaim !== 'none' && !/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/.test(groupsClaim)) {
    throw new ConfigError(
      `AUTH_GROUPS_CLAIM '${groupsClaim}' is not a claim name or dotted path (or 'none')`,
    );
  }
  const jwksUrl = get('AUTH_JWKS_URL');
  if (jwksUrl && !URL.canParse(jwksUrl)) throw new ConfigError(`AUTH_JWKS_URL '${jwksUrl}' is not a URL`);
  return {
    mode: 'oidc',
    issuer,
    ...(jwksUrl ? { jwksUrl } : {}),
    audience,
    authorizedParties: list(get('AUTH_AUTHORIZED_PARTIES')).length
      ? list(get('AUTH_AUTHORIZED_PARTIES'))
      : audience,
    rolesClaim,
    ...(groupsClaim !== 'none' ? { groupsClaim } : {}),
    roleNames: parseRoleNames(get('AUTH_ROLE_NAMES')),
  };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** `viewer=ir-viewer,admin=ir-admin,…`: every role named once, exactly; unnamed roles keep their default. */
function parseRoleNames(value: string | undefined): Record<EngineRole, string> {
  const names = { ...DEFAULT_ROLE_NAMES };
  for (const part of list(value)) {
    const [role, name, ...rest] = part.split('=');
    if (!(ENGINE_ROLES as readonly string[]).includes(role) || !name || rest.length) {
      throw new ConfigError(
        `AUTH_ROLE_NAMES entry '${part.slice(0, 60)}' should be <${ENGINE_ROLES.join('|')}>=<role name in the token>`,
      );
    }
    names[role as EngineRole] = name;
  }
  const taken = Object.values(names);
  if (new Set(taken).size !== taken.length) {
    throw new ConfigError('AUTH_ROLE_NAMES gives two engine roles the same name');
  }
  return names;
}

export function isLoopbackHost(host: string): boolean {
  return ['127.0.0.1', '::1', 'localhost', '[::1]'].includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The API refuses to start without an explicit authentication choice. */
export function requireAuth(config: EngineConfig): NonNullable<EngineConfig['auth']> {
  if (!config.auth) {
    throw new ConfigError(
      'set AUTH_ISSUER (the OIDC issuer whose bearer tokens the API accepts), or AUTH_MODE=dev for a local trial without authentication',
    );
  }
  return config.auth;
}

function readJson(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError(`cannot read IR_CONFIG file '${file}': ${(err as Error).message}`);
  }
}

/** `on`, `off` or unset (off); anything else is refused with the variable's name. */
function parseOnOff(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'off') return false;
  if (value === 'on') return true;
  throw new ConfigError(`${name} must be 'on' or 'off', not '${value}'`);
}

/** The engine's Okta service app: client id and private key file together, or neither. */
function parseOktaServiceApp(get: (name: string) => string | undefined): OktaConnectorSettings['oauth'] {
  const clientId = get('OKTA_CLIENT_ID');
  const keyFile = get('OKTA_PRIVATE_KEY_FILE');
  if (!clientId && !keyFile) return undefined;
  if (!clientId || !keyFile)
    throw new ConfigError(
      'OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE go together (the service app and its key)',
    );
  let privateKey: string;
  try {
    privateKey = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `OKTA_PRIVATE_KEY_FILE: cannot read ${keyFile} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const scopes =
    get('OKTA_SCOPES')
      ?.split(/[\s,]+/)
      .filter(Boolean) ?? OKTA_ENGINE_SCOPES;
  return { clientId, privateKey, scopes, ...(get('OKTA_KEY_ID') ? { keyId: get('OKTA_KEY_ID') } : {}) };
}

function parseWorkerMetrics(
  host: string | undefined,
  port: string | undefined,
): EngineConfig['workerMetrics'] {
  if (port === 'off') return undefined;
  const n = Number(port ?? 9464);
  if (!/^\d+$/.test(port ?? '9464') || n < 1 || n > 65535)
    throw new ConfigError(`WORKER_METRICS_PORT '${port}' is not a port (or \`off\`)`);
  const h = host ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(h)) throw new ConfigError(`WORKER_METRICS_HOST '${h}' is not a host address`);
  return { host: h, port: n };
}

/** Packages first (their playbooks become names PLAYBOOK_POLICIES may use), then the policies over their defaults. */
function packagesAndPolicies(
  packagesSpec: string | undefined,
  policiesRaw: string | undefined,
): Pick<EngineConfig, 'playbookPackages' | 'playbookRoutes' | 'playbookPolicies'> {
  let packages: PlaybookPackage[];
  let routes: Partial<Record<RuleName, string>>;
  try {
    packages = loadPlaybookPackages(packagesSpec);
    routes = packageRoutes(packages);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const policies = parsePlaybookPolicies(policiesRaw);
  const defaults: Partial<Record<PlaybookId, PolicyOverrides>> = {};
  for (const pkg of packages)
    for (const p of pkg.playbooks) if (p.policy) defaults[p.name] = p.policy as PolicyOverrides;
  const merged = { ...defaults, ...policies };
  return {
    ...(packages.length ? { playbookPackages: packages, playbookRoutes: routes } : {}),
    ...(Object.keys(merged).length ? { playbookPolicies: merged } : {}),
  };
}

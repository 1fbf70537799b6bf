/**
 * The engine as an SSF receiver: Security Event Tokens from an upstream transmitter (an identity
 * provider's, e.g. Keycloak's SSF transmitter) become normalized identity events for detection.
 *
 * A SET is taken only after it verifies against the transmitter's JWKS (from its SSF metadata),
 * its issuer and the stream's audience, typed `secevent+jwt`. Each event maps to the model rules
 * read: CAEP session-revoked → a logoff, credential-change → a password change or a factor
 * enrolled/removed, risk-level-change → the vendor's risk verdict; RISC credential-compromise →
 * the vendor confirming the account compromised, account-disabled/-enabled → account changes
 * (disabled for hijacking carries high risk). Verification and stream-updated events are not
 * identity events.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { parseJsonList } from './json-setting';
import {
  C,
  GENERIC,
  identityEvent,
  riskLevel,
  type Classified,
  type IdentityEvent,
} from '../detection/events';
import { EVENT_PROVIDERS, type EventProvider } from '../detection/events';
import { rawRef } from '../detection/fields';
import { CAEP, RISC, SSF } from './events';
import { isDeliverableUrl } from './gtr';

export interface TransmitterSettings {
  /** How the engine names the transmitter (in URLs and workflow ids). */
  name: string;
  /** The transmitter's issuer (its SSF metadata says the same). */
  issuer: string;
  /** Where its SSF metadata is (default `<issuer>/.well-known/ssf-configuration`). */
  metadataUrl: string;
  /** Whose events these are: the detection source (provider and realm, org or tenant). */
  provider: EventProvider;
  tenant: string;
  delivery: 'push' | 'poll';
  /** The engine's OAuth client at the transmitter's authorization server (stream management). */
  clientId: string;
  clientSecret: string;
  /** OAuth token endpoint (default: from the issuer's OpenID discovery) and scopes asked for. */
  tokenUrl?: string;
  scope: string;
  /** Event types asked for (default: every type the transmitter supports that the engine reads). */
  events?: string[];
}

/** Event types the engine reads (what it asks a transmitter for). */
export const RECEIVED_EVENTS = [
  `${CAEP}session-revoked`,
  `${CAEP}credential-change`,
  `${CAEP}risk-level-change`,
  `${RISC}credential-compromise`,
  `${RISC}account-disabled`,
  `${RISC}account-enabled`,
  `${RISC}account-credential-change-required`,
];

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const transmitterSchema = z
  .object({
    name: z.string().regex(NAME, 'name: lower-case letters, digits and - (1-63)'),
    issuer: z.string().url().max(2000),
    metadataUrl: z.string().url().max(2000).optional(),
    provider: z.enum(EVENT_PROVIDERS),
    tenant: z.string().regex(/^[A-Za-z0-9._@:-]{1,200}$/, 'tenant: the realm, org or tenant id'),
    delivery: z.enum(['push', 'poll']).default('push'),
    clientId: z.string().min(1).max(255),
    clientSecret: z.string().min(1).max(1000).optional(),
    clientSecretFile: z.string().min(1).max(1000).optional(),
    tokenUrl: z.string().url().max(2000).optional(),
    scope: z.string().max(500).default('ssf.manage ssf.read'),
    events: z.array(z.string().url()).min(1).optional(),
  })
  .strict();

/**
 * SSF_TRANSMITTERS: a JSON array of transmitters the engine subscribes to. Push needs
 * PUBLIC_API_URL (where the transmitter delivers); the client secret comes from a file
 * (`clientSecretFile`) or, for a trial, inline.
 */
export function parseTransmitters(
  raw: string | undefined,
  publicApiUrl: string | undefined,
  readFile: (path: string) => string,
): TransmitterSettings[] | undefined {
  if (!raw?.trim()) return undefined;
  const data = parseJsonList('SSF_TRANSMITTERS', raw, transmitterSchema);
  const seen = new Set<string>();
  return data.map((t, i) => {
    const at = `SSF_TRANSMITTERS[${i}]`;
    if (seen.has(t.name)) throw new Error(`${at}: '${t.name}' is named twice`);
    seen.add(t.name);
    for (const url of [t.issuer, t.metadataUrl, t.tokenUrl])
      if (url && !isDeliverableUrl(url))
        throw new Error(`${at}: ${url.slice(0, 200)} must be https (http only to loopback)`);
    if (Boolean(t.clientSecret) === Boolean(t.clientSecretFile))
      throw new Error(`${at}: exactly one of clientSecret and clientSecretFile`);
    if (t.delivery === 'push' && !publicApiUrl)
      throw new Error(`${at}: push delivery needs PUBLIC_API_URL (where the transmitter delivers)`);
    const issuer = t.issuer.replace(/\/$/, '');
    return {
      name: t.name,
      issuer,
      metadataUrl: t.metadataUrl ?? `${issuer}/.well-known/ssf-configuration`,
      provider: t.provider,
      tenant: t.tenant,
      delivery: t.delivery,
      clientId: t.clientId,
      clientSecret: t.clientSecret ?? readFile(t.clientSecretFile!).trim(),
      ...(t.tokenUrl ? { tokenUrl: t.tokenUrl } : {}),
      scope: t.scope,
      ...(t.events ? { events: t.events } : {}),
    };
  });
}

/** Where a transmitter pushes to this engine. */
export function receiverPushUrl(publicApiUrl: string, name: string): string {
  return `${publicApiUrl.replace(/\/$/, '')}/ssf/receiver/${name}`;
}

/**
 * The authorization header the engine gives a transmitter for its pushes: derived from the
 * deployment's principal-key secret, so every API replica checks it without storing it anywhere
 * (never in workflow history).
 */
export function receiverPushAuthorization(secret: Buffer, name: string): string {
  return `Bearer ${createHmac('sha256', secret).update(`ssf-receiver-push:${name}`).digest('base64url')}`;
}

/** A verified SET's payload (RFC 8417 as SSF 1.0 profiles it). */
export interface SetPayload {
  jti?: string;
  iat?: number;
  txn?: string;
  sub_id?: unknown;
  events?: Record<string, unknown>;
  [claim: string]: unknown;
}

export interface FromSetContext {
  provider: EventProvider;
  tenant: string;
  /** The SET as received (its hash is the raw reference). */
  token: string;
  receivedAt: string;
}

/** The identity events a verified SET carries (none for verification or stream updates). */
export function eventsFromSet(payload: SetPayload, ctx: FromSetContext): IdentityEvent[] {
  const events = payload.events && typeof payload.events === 'object' ? payload.events : {};
  const out: IdentityEvent[] = [];
  for (const [type, raw] of Object.entries(events)) {
    if (type.startsWith(SSF)) continue;
    const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const subject = subjectParty(payload.sub_id ?? body.subject);
    const eventTime = typeof body.event_timestamp === 'number' ? body.event_timestamp : payload.iat;
    const time =
      typeof eventTime === 'number' && Number.isFinite(eventTime) ? new Date(eventTime * 1000) : undefined;
    const valid = time && !Number.isNaN(time.getTime());
    const initiator = typeof body.initiating_entity === 'string' ? body.initiating_entity : undefined;
    const { classified, risk } = classify(type, body);
    const short = type.startsWith(CAEP)
      ? `caep:${type.slice(CAEP.length)}`
      : type.startsWith(RISC)
        ? `risc:${type.slice(RISC.length)}`
        : type;
    out.push(
      identityEvent(
        {
          id: `ssf:${payload.jti ?? rawRef(ctx.token)}${Object.keys(events).length > 1 ? `:${short}` : ''}`,
          provider: ctx.provider,
          tenant: ctx.tenant,
          time: valid ? time.toISOString() : ctx.receivedAt,
          timeSource: valid ? 'event' : 'received',
          vendorType: `ssf:${short}`,
          outcome: 'success',
          reason: textOf(body.reason_admin) ?? (typeof body.reason === 'string' ? body.reason : undefined),
          actor: initiator
            ? {
                type: initiator === 'admin' ? 'admin' : initiator === 'user' ? 'user' : 'system',
                name: initiator,
              }
            : undefined,
          target: subject,
          rawRef: rawRef(ctx.token),
          ...(risk ? { risk } : {}),
        } as Parameters<typeof identityEvent>[0],
        classified,
      ),
    );
  }
  return out;
}

function classify(
  type: string,
  body: Record<string, unknown>,
): { classified: Classified; risk?: IdentityEvent['risk'] } {
  const credentialType = typeof body.credential_type === 'string' ? body.credential_type : undefined;
  switch (type) {
    case `${CAEP}session-revoked`:
      return { classified: C.auth('logoff') };
    case `${CAEP}credential-change`: {
      const change = String(body.change_type ?? '');
      if (credentialType === 'password')
        return {
          classified: C.account(body.initiating_entity === 'admin' ? 'password-reset' : 'password-change'),
        };
      if (change === 'create') return { classified: C.credential('factor-enrolled', credentialType) };
      if (change === 'delete' || change === 'revoke')
        return { classified: C.credential('factor-removed', credentialType) };
      return { classified: C.credential('factor-enrolled', credentialType) };
    }
    case `${CAEP}risk-level-change`: {
      const current = riskLevel(body.current_level);
      const previous = riskLevel(body.previous_level);
      const detail =
        [body.risk_reason, body.principal].filter((x) => typeof x === 'string').join(', ') || undefined;
      const lowered =
        current && previous && ['none', 'low'].includes(current) && !['none', 'low'].includes(previous);
      return {
        classified: C.risk(lowered ? 'dismissed' : 'detected'),
        ...(current ? { risk: { level: current, ...(detail ? { detail } : {}) } } : {}),
      };
    }
    case `${RISC}credential-compromise`:
      return {
        classified: C.risk('confirmed-compromised'),
        risk: {
          level: 'high',
          detail: `credential-compromise${credentialType ? ` (${credentialType})` : ''}`,
        },
      };
    case `${RISC}account-disabled`:
      return {
        classified: C.account('disable'),
        ...(body.reason === 'hijacking'
          ? { risk: { level: 'high' as const, detail: 'account disabled for hijacking' } }
          : {}),
      };
    case `${RISC}account-enabled`:
      return { classified: C.account('enable') };
    default:
      return { classified: GENERIC };
  }
}

/** The user a subject identifier names: by id (`iss_sub`), e-mail, or opaque id. */
function subjectParty(subId: unknown): IdentityEvent['target'] {
  const s = subId as
    { format?: string; sub?: string; email?: string; id?: string; user?: unknown } | undefined;
  if (!s || typeof s !== 'object') return undefined;
  if (s.format === 'complex') return subjectParty(s.user);
  if (s.format === 'iss_sub' && typeof s.sub === 'string') return { id: s.sub, type: 'user' };
  if (s.format === 'email' && typeof s.email === 'string') return { name: s.email, type: 'user' };
  if (s.format === 'opaque' && typeof s.id === 'string') return { id: s.id, type: 'user' };
  return undefined;
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.slice(0, 300);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const t = o.en ?? Object.values(o)[0];
    return typeof t === 'string' ? t.slice(0, 300) : undefined;
  }
  return undefined;
}

/**
 * The engine talking to an upstream SSF transmitter as its receiver: the transmitter's metadata
 * and keys, an OAuth token for stream management (client credentials through openid-client),
 * the engine's one stream there (created, or the existing one taken over), RFC 8936 polls, and
 * verification of every SET it hands over (jose, against the transmitter's JWKS).
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { TransmitterSettings, SetPayload } from './receiver';
import { RECEIVED_EVENTS } from './receiver';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

export interface TransmitterMetadata {
  issuer: string;
  jwks_uri: string;
  configuration_endpoint?: string;
  status_endpoint?: string;
  verification_endpoint?: string;
  delivery_methods_supported?: string[];
}

/** The engine's stream at the transmitter (what it said when the stream was made or read). */
export interface ReceiverStream {
  streamId: string;
  aud: string[];
  delivery: 'push' | 'poll';
  /** Push: where it delivers; poll: where the engine polls. */
  endpoint: string;
  eventsDelivered: string[];
}

/** Why a SET was refused, as RFC 8935 §2.3 names it. */
export class SetRefused extends Error {
  constructor(
    readonly err: 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience',
    description: string,
  ) {
    super(description);
  }
}

const insecure = (url: string) => {
  const u = new URL(url);
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
};

export class TransmitterClient {
  private meta?: { at: number; value: Promise<TransmitterMetadata> };
  private keys?: { uri: string; set: ReturnType<typeof createRemoteJWKSet> };
  private oauth?: Promise<oidc.Configuration>;
  private token?: { value: string; until: number };

  constructor(readonly settings: TransmitterSettings) {}

  /** The transmitter's SSF metadata (cached for five minutes); its issuer must be the configured one. */
  metadata(): Promise<TransmitterMetadata> {
    if (!this.meta || Date.now() - this.meta.at > 300_000) {
      const value = (async () => {
        const res = await fetch(this.settings.metadataUrl, {
          headers: { accept: 'application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`SSF metadata ${this.settings.metadataUrl} answered ${res.status}`);
        const m = (await res.json()) as TransmitterMetadata;
        if (m.issuer?.replace(/\/$/, '') !== this.settings.issuer)
          throw new Error(
            `SSF metadata names issuer '${String(m.issuer).slice(0, 200)}', not ${this.settings.issuer}`,
          );
        if (!m.jwks_uri) throw new Error('SSF metadata has no jwks_uri: its SETs could not be verified');
        return m;
      })();
      value.catch(() => (this.meta = undefined));
      this.meta = { at: Date.now(), value };
    }
    return this.meta.value;
  }

  /** Checks a SET: signature against the JWKS, issuer, audience, explicit type. */
  async verify(token: string, audience: string[]): Promise<SetPayload> {
    const meta = await this.metadata();
    if (this.keys?.uri !== meta.jwks_uri)
      this.keys = { uri: meta.jwks_uri, set: createRemoteJWKSet(new URL(meta.jwks_uri)) };
    try {
      const { payload } = await jwtVerify(token, this.keys.set, {
        issuer: meta.issuer,
        audience,
        typ: 'secevent+jwt',
      });
      if (!payload.events || typeof payload.events !== 'object')
        throw new SetRefused('invalid_request', 'the SET has no events claim');
      return payload as SetPayload;
    } catch (err) {
      if (err instanceof SetRefused) throw err;
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        if (err.claim === 'iss')
          throw new SetRefused('invalid_issuer', 'the SET is not from this transmitter');
        if (err.claim === 'aud') throw new SetRefused('invalid_audience', 'the SET is not for this receiver');
        throw new SetRefused('invalid_request', `the SET's ${err.claim} claim is not valid`);
      }
      if (
        err instanceof joseErrors.JWSSignatureVerificationFailed ||
        err instanceof joseErrors.JWKSNoMatchingKey ||
        err instanceof joseErrors.JOSEAlgNotAllowed
      )
        throw new SetRefused('invalid_key', 'the SET does not verify with the transmitter keys');
      throw new SetRefused('invalid_request', 'the body is not a signed SET');
    }
  }

  /** An access token for stream management (client credentials; cached until a minute before expiry). */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.until) return this.token.value;
    const s = this.settings;
    this.oauth ??= (async () => {
      const opts = insecure(s.tokenUrl ?? s.issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined;
      if (s.tokenUrl) {
        const config = new oidc.Configuration(
          { issuer: s.issuer, token_endpoint: s.tokenUrl },
          s.clientId,
          s.clientSecret,
        );
        if (opts) oidc.allowInsecureRequests(config);
        return config;
      }
      return oidc.discovery(new URL(s.issuer), s.clientId, s.clientSecret, undefined, opts);
    })();
    const config = await this.oauth.catch((err: Error) => {
      this.oauth = undefined;
      throw err;
    });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: s.scope });
    this.token = {
      value: tokens.access_token,
      until: Date.now() + Math.max(0, (tokens.expires_in ?? 60) - 60) * 1000,
    };
    return tokens.access_token;
  }

  private async call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as T };
  }

  /**
   * The engine's stream at the transmitter, made to deliver as configured: an existing stream
   * that already does is kept; one that delivers elsewhere is replaced.
   */
  async ensureStream(push?: { url: string; authorization: string }): Promise<ReceiverStream> {
    const meta = await this.metadata();
    if (!meta.configuration_endpoint)
      throw new Error('the transmitter offers no stream management (configuration_endpoint)');
    const wanted = this.settings.delivery === 'push' ? PUSH : POLL;
    const listed = await this.call<unknown>('GET', meta.configuration_endpoint);
    const existing = (Array.isArray(listed.body) ? listed.body : listed.body ? [listed.body] : []).filter(
      (x): x is StreamBody => typeof (x as StreamBody)?.stream_id === 'string',
    );
    for (const s of existing) {
      const same =
        s.delivery?.method === wanted && (wanted === POLL || s.delivery?.endpoint_url === push?.url);
      if (same) return toStream(s);
      const gone = await this.call(
        'DELETE',
        `${meta.configuration_endpoint}?stream_id=${encodeURIComponent(s.stream_id)}`,
      );
      if (gone.status >= 300 && gone.status !== 404)
        throw new Error(`could not replace the old stream ${s.stream_id}: ${gone.status}`);
    }
    const created = await this.call<StreamBody & { error?: string; error_description?: string }>(
      'POST',
      meta.configuration_endpoint,
      {
        delivery:
          wanted === PUSH
            ? { method: PUSH, endpoint_url: push!.url, authorization_header: push!.authorization }
            : { method: POLL },
        events_requested: this.settings.events ?? RECEIVED_EVENTS,
        description: 'identity incident response engine (detection)',
      },
    );
    if (created.status !== 201 && created.status !== 200)
      throw new Error(
        `the transmitter refused the stream: ${created.status}${created.body?.error_description ? ` ${String(created.body.error_description).slice(0, 300)}` : ''}`,
      );
    return toStream(created.body);
  }

  /** SSF verification (§8.1.4): the transmitter sends a verification SET with this state. */
  async requestVerification(streamId: string, state: string): Promise<number> {
    const meta = await this.metadata();
    if (!meta.verification_endpoint) return 0;
    return (await this.call('POST', meta.verification_endpoint, { stream_id: streamId, state })).status;
  }

  /** One RFC 8936 poll: acknowledges `ack`, returns the SETs waiting (jti → SET). */
  async poll(endpoint: string, ack: string[], setErrs: Record<string, { err: string; description: string }>) {
    const res = await this.call<{ sets?: Record<string, string>; moreAvailable?: boolean }>(
      'POST',
      endpoint,
      {
        ack,
        ...(Object.keys(setErrs).length ? { setErrs } : {}),
        returnImmediately: true,
        maxEvents: 100,
      },
    );
    if (res.status !== 200) throw new Error(`poll answered ${res.status}`);
    return { sets: res.body?.sets ?? {}, moreAvailable: Boolean(res.body?.moreAvailable) };
  }
}

interface StreamBody {
  stream_id: string;
  aud?: string | string[];
  delivery?: { method?: string; endpoint_url?: string };
  events_delivered?: string[];
}

function toStream(s: StreamBody): ReceiverStream {
  return {
    streamId: s.stream_id,
    aud: s.aud === undefined ? [] : Array.isArray(s.aud) ? s.aud : [s.aud],
    delivery: s.delivery?.method === POLL ? 'poll' : 'push',
    endpoint: s.delivery?.endpoint_url ?? '',
    eventsDelivered: s.events_delivered ?? [],
  };
}

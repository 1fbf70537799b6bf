/**
 * Data protection end to end: what the Temporal server stores for an incident is encrypted (no
 * principal, e-mail, token or secret in the raw history, failures included), the engine and the
 * codec endpoint read it back, and keys rotate without losing old histories.
 */
import { randomBytes } from 'node:crypto';
import { AesGcmPayloadCodec } from '../codec/payload-codec';
import type { EngineConfig } from '../config/config';
import {
  decodedHistoryText,
  historyText,
  rawTemporalClient,
  TEST_PAYLOAD_KEY,
  TEST_UI_ORIGIN,
  testConfig,
  TestApi,
  TestWorker,
} from './support/engine';
import { readTestEnv } from './support/env';
import { ENGINE_CLIENT, KeycloakTestClient, REALM } from './support/keycloak';

const RESPONDER = 'dp.responder';
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
let kc: KeycloakTestClient;

beforeAll(async () => {
  config = testConfig();
  kc = new KeycloakTestClient(readTestEnv().keycloak.url);
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
});

async function rawHistory(workflowId: string) {
  return (await rawTemporalClient(config)).workflow.getHandle(workflowId).fetchHistory();
}

describe('payload encryption', () => {
  it('keeps principals, e-mails, tokens and secrets out of the raw history; authorised readers see them', async () => {
    const user = await kc.createUser('dp', { otp: true });
    const tokens = await kc.login(user, 'openid offline_access');
    const opened = await api.openIncident(user.username, RESPONDER, {
      severity: 'critical',
      summary: `phished: ${user.username}@corp.example`,
      suspectTokens: [tokens.refresh_token, tokens.access_token],
    });
    expect(opened.status).toBe(201);
    const id: string = opened.body.incidentId;
    expect(id).not.toContain(user.username);
    expect((await api.untilPhase(id, ['contained'])).containedAt).toBeDefined();

    const raw = await rawHistory(id);
    const stored = await historyText(raw);
    for (const secret of [
      user.username,
      `${user.username}@corp.example`,
      user.password,
      tokens.access_token,
      tokens.refresh_token,
      ENGINE_CLIENT.secret,
    ]) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain('binary/encrypted'); // payloads are there, sealed
    expect(stored).toContain(TEST_PAYLOAD_KEY.id); // and name their key

    const readable = await decodedHistoryText(worker.client, id);
    expect(readable).toContain(user.username);
    expect(readable).toContain(`revoke all sessions of ${user.username}`); // summaries for the UI

    // The Temporal UI's remote codec: same protocol, same key, behind the API's authentication.
    const sealed = raw.events!.find((e) => e.workflowExecutionStartedEventAttributes)!
      .workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(sealed.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(sealed.data!).toString('base64'),
        },
      ],
    };
    const decoded = await api.call('POST', '/codec/decode', body);
    expect(decoded.status).toBe(200);
    const plain = decoded.body.payloads[0];
    expect(Buffer.from(plain.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(plain.data, 'base64').toString()).toContain(user.username);

    const reencoded = await api.call('POST', '/codec/encode', decoded.body, 'alice.admin');
    expect(reencoded.status).toBe(200);
    expect(Buffer.from(reencoded.body.payloads[0].data, 'base64').toString()).not.toContain(user.username);
    const back = await api.call('POST', '/codec/decode', reencoded.body);
    expect(back.body.payloads[0].data).toBe(plain.data);
  });

  it('encrypts failure messages: a failed incident names its user only to authorised readers', async () => {
    const ghost = `ghost-${randomBytes(4).toString('hex')}`;
    const opened = await api.openIncident(ghost, RESPONDER, { severity: 'critical' });
    expect(opened.status).toBe(201);
    const id: string = opened.body.incidentId;
    await expect(worker.client.workflow.getHandle(id).result()).rejects.toThrow();

    const stored = await historyText(await rawHistory(id));
    expect(stored).not.toContain(ghost);
    expect(stored).not.toContain('not in realm'); // the message is sealed (its type stays readable)
    expect(await decodedHistoryText(worker.client, id)).toContain(
      `KeycloakUserNotFound: user '${ghost}' not in realm`,
    );
  });

  it('rotates keys: a worker whose first key is new still reads histories sealed with the old one', async () => {
    const user = await kc.createUser('rotate');
    const before = await api.openIncident(user.username, RESPONDER, { severity: 'critical' });
    await api.untilPhase(before.body.incidentId, ['contained']);

    const rotated = new AesGcmPayloadCodec([{ id: 'test-2', key: randomBytes(32) }, TEST_PAYLOAD_KEY], {
      plaintext: 'pass',
    });
    const [fresh] = await rotated.encode([{ metadata: {}, data: new TextEncoder().encode(user.username) }]);
    expect(Buffer.from(fresh.metadata!['encryption-key-id']!).toString()).toBe('test-2');
    const old = await historyText(await rawHistory(before.body.incidentId), rotated);
    expect(old).toContain(user.username);

    // An API whose PAYLOAD_KEYS lost that key says so plainly instead of failing obscurely.
    const stranger = await TestApi.start({
      ...config,
      payloads: { mode: 'encrypted', keys: [{ id: 'other-1', key: randomBytes(32) }] },
    });
    try {
      const res = await stranger.call('GET', `/incidents/${before.body.incidentId}`);
      expect(res.status).toBe(500);
      expect(res.body.error).toBe('PayloadKeyUnavailable');
      expect(res.body.message).toContain(`key '${TEST_PAYLOAD_KEY.id}'`);
    } finally {
      await stranger.stop();
    }

    const retired = new AesGcmPayloadCodec([{ id: 'test-2', key: randomBytes(32) }], { plaintext: 'pass' });
    await expect(historyText(await rawHistory(before.body.incidentId), retired)).rejects.toThrow(
      `payload was encrypted with key '${TEST_PAYLOAD_KEY.id}', which is not among the configured PAYLOAD_KEYS`,
    );
  });
});

describe('a direct connection to Temporal', () => {
  it('cannot start an incident with a plaintext input: the worker refuses it and touches nothing', async () => {
    const user = await kc.createUser('side-door');
    const raw = await rawTemporalClient(config);
    const workflowId = `incident-sidedoor-${randomBytes(6).toString('hex')}`;
    await raw.workflow.start('compromisedCredential', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          playbook: 'compromised-credential',
          principal: { provider: 'keycloak', realm: REALM, username: user.username },
          principalKey: 'forged',
          severity: 'critical',
          summary: 'forged through a direct connection',
          openedBy: 'attacker',
          alert: {
            id: 'forged',
            source: 'x',
            severity: 'critical',
            summary: 'x',
            raisedAt: new Date().toISOString(),
            reportedBy: 'attacker',
          },
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 3000));
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const types = (history.events ?? []).map((e) => String(e.eventType));
    // Started, then workflow tasks the worker failed or let time out (UnencryptedPayload): no
    // command of the playbook, no activity.
    const STARTED = '1';
    const TASK_EVENTS = ['5', '6', '8', '9']; // workflow task scheduled, started, failed, timed out
    expect(types[0]).toBe(STARTED);
    expect(types.slice(1).every((t) => TASK_EVENTS.includes(t))).toBe(true);
    expect(types.length).toBeGreaterThan(1);
    const account = await kc.user(user.id);
    expect(account.enabled).toBe(true);
    expect(account.requiredActions).toEqual([]);
    await raw.workflow.getHandle(workflowId).terminate('test done');
  });
});

describe('codec endpoint', () => {
  it('grants CORS to the Temporal UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ui = await preflight(TEST_UI_ORIGIN);
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(TEST_UI_ORIGIN);
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers bad input with 400 naming the problem', async () => {
    const notBase64 = await api.call('POST', '/codec/decode', { payloads: [{ data: '%%%' }] });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.message).toContain('payloads.0.data: must be base64');
    const unknownKey = await api.call('POST', '/codec/decode', {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from('binary/encrypted').toString('base64'),
            'encryption-key-id': Buffer.from('nope').toString('base64'),
          },
          data: randomBytes(40).toString('base64'),
        },
      ],
    });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.message).toContain("key 'nope'");
    const forged = await api.call('POST', '/codec/decode', {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from('binary/encrypted').toString('base64'),
            'encryption-key-id': Buffer.from(TEST_PAYLOAD_KEY.id).toString('base64'),
          },
          data: randomBytes(40).toString('base64'),
        },
      ],
    });
    expect(forged.status).toBe(400);
    expect(forged.body.message).toContain('failed authentication');
  });
});

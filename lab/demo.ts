/**
 * The demo realm `npm start` hosts when LAB_IDP=on: the lab identity provider on loopback with a
 * few people to attack, a public app to log in with, and the engine's own confidential client
 * (its secret made at start, never written anywhere). Everything lives in the worker's memory and
 * is gone when it stops.
 */
import { randomBytes } from 'node:crypto';
import { LabIdentityProvider } from '../activities/lab/lab-provider';
import { LabIdp } from './idp';

export const DEMO_APP_CLIENT = 'demo-app';

/** The demo's people. Their passwords are part of the demo, printed at start: this is a lab. */
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-demo-password', roles: ['staff'] },
  { username: 'bob', password: 'bob-demo-password', roles: ['staff'], pushMfa: true },
  { username: 'carol', password: 'carol-demo-password', roles: ['staff', 'manage-users'] },
  { username: 'dave', password: 'dave-demo-password', roles: ['staff'] },
] as const;

export interface DemoLab {
  idp: LabIdp;
  connector: LabIdentityProvider;
  /** How to try it, for the worker's start-up output. */
  instructions: string;
}

export async function startDemoLab(
  settings: { realm: string; port: number },
  /** The engine's REST API, for the instructions. */
  apiUrl = 'http://127.0.0.1:3000',
): Promise<DemoLab> {
  const idp = await LabIdp.start(settings);
  const engine = { clientId: 'ir-engine', clientSecret: randomBytes(24).toString('base64url') };
  idp.addClient(DEMO_APP_CLIENT);
  idp.addClient(engine.clientId, engine.clientSecret);
  for (const u of DEMO_USERS) {
    const user = idp.addUser(u.username, u.password, [...u.roles]);
    // Bob's phone denies every prompt: an attacker with his password gets nowhere but noise.
    if ('pushMfa' in u) user.pushDevice = () => 'deny';
  }
  const token = `${idp.issuer}/protocol/openid-connect/token`;
  const login = (user: string, password: string) =>
    `curl -s ${token} -d grant_type=password -d client_id=${DEMO_APP_CLIENT} -d username=${user} -d password=${password}`;
  const instructions = [
    `lab identity provider (LAB_IDP=on): ${idp.issuer}`,
    `  people: ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}`,
    `  a credential-stuffing takeover of alice (ten failures, then the right password):`,
    `    for i in $(seq 10); do ${login('alice', 'wrong')} >/dev/null; done; ${login('alice', 'alice-demo-password')}`,
    `  then watch the incident: curl -s ${apiUrl}/incidents`,
  ].join('\n');
  return { idp, connector: new LabIdentityProvider(idp, engine), instructions };
}

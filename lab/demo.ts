/**
 * The demo realm `npm start` hosts when LAB_IDP=on: the lab identity provider on loopback with a
 * few people to attack, a public app to log in with, and the engine's own confidential client
 * (its secret made at start, never written anywhere). Everything lives in the worker's memory and
 * is gone when it stops.
 */
import { randomBytes } from 'node:crypto';
import { LabIdentityProvider } from '../providers/lab/connector';
import { LabIdp } from './idp';

export const DEMO_APP_CLIENT = 'demo-app';

/** The demo's people; their passwords are made at each start and printed (this is a lab). */
const DEMO_PEOPLE = [
  { username: 'alice', roles: ['staff'] },
  { username: 'bob', roles: ['staff'], pushMfa: true },
  { username: 'carol', roles: ['staff', 'manage-users'] },
  { username: 'dave', roles: ['staff'] },
];

export interface DemoLab {
  idp: LabIdp;
  connector: LabIdentityProvider;
  /** Who can log in, with the passwords made for this run. */
  people: { username: string; password: string }[];
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
  const people = DEMO_PEOPLE.map((p) => {
    const password = `${p.username}-${randomBytes(6).toString('base64url')}`;
    const user = idp.addUser(p.username, password, p.roles);
    // Bob's phone denies every prompt: an attacker with his password gets nowhere but noise.
    if (p.pushMfa) user.pushDevice = () => 'deny';
    return { username: p.username, password };
  });
  const alice = people[0];
  const token = `${idp.issuer}/protocol/openid-connect/token`;
  const login = (user: string, password: string) =>
    `curl -s ${token} -d grant_type=password -d client_id=${DEMO_APP_CLIENT} -d username=${user} -d password=${password}`;
  const instructions = [
    `lab identity provider (LAB_IDP=on): ${idp.issuer}`,
    `  people: ${people.map((u) => `${u.username} / ${u.password}`).join(', ')}`,
    `  a credential-stuffing takeover of alice (ten failures, then the right password):`,
    `    for i in $(seq 10); do ${login('alice', 'wrong')} >/dev/null; done; ${login(alice.username, alice.password)}`,
    `  then watch the incident: curl -s ${apiUrl}/incidents`,
  ].join('\n');
  return { idp, connector: new LabIdentityProvider(idp, engine), people, instructions };
}

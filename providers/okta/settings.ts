/** The engine's Okta credentials, apart from the SDK (the configuration reads them without loading it). */

/** The engine's own OAuth 2.0 service app: its client id, private key (PEM or JWK) and scopes. */
export interface OktaServiceApp {
  clientId: string;
  /** Never logged, never in workflow history. */
  privateKey: string;
  keyId?: string;
  scopes: string[];
}

/** The scopes the engine asks for by default (a service app is granted a subset: the doctor says which). */
export const OKTA_ENGINE_SCOPES = [
  'okta.users.read',
  'okta.users.manage',
  'okta.logs.read',
  'okta.roles.read',
  'okta.roles.manage',
  'okta.apps.read',
  'okta.apps.manage',
  'okta.apiTokens.manage',
  'okta.sessions.manage',
];

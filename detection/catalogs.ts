/** Every vendor catalog, for the coverage matrix and the catalog tests. */
import type { VendorCatalog } from './catalog';
import { AUTH0 } from './parsers/auth0';
import { DUO } from './parsers/duo';
import { ENTRA } from './parsers/entra';
import { GOOGLE } from './parsers/google';
import { KEYCLOAK } from './parsers/keycloak';
import { M365 } from './parsers/m365';
import { OKTA } from './parsers/okta';
import { ONELOGIN } from './parsers/onelogin';

export const VENDOR_CATALOGS: readonly VendorCatalog[] = [
  KEYCLOAK,
  OKTA,
  ENTRA,
  AUTH0,
  GOOGLE,
  DUO,
  ONELOGIN,
  M365,
];

// Every playbook the worker runs. One workflow type per playbook.
export { compromisedCredential } from './compromised-credential';
export { privilegeEscalation } from './privilege-escalation';
export { sessionHijack } from './session-hijack';
export { mfaFatigue } from './mfa-fatigue';
export { leakedClientSecret } from './leaked-client-secret';
export { signingKeyCompromise } from './signing-key-compromise';
export { detector } from './detector';
export { providersDoctor } from './providers-doctor';
export { ssfStream } from './ssf-stream';
export { ssfReceiver } from './ssf-receiver';

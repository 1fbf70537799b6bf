/**
 * The transmitter's configuration metadata (SSF 1.0 §7.1), served at
 * `/.well-known/ssf-configuration`: every endpoint as an absolute URL under the engine's public
 * address, push (RFC 8935) and poll (RFC 8936) delivery, and OAuth bearer tokens for stream
 * management.
 */
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';

export function transmitterMetadata(publicUrl: string) {
  const base = publicUrl.replace(/\/$/, '');
  return {
    spec_version: '1_0',
    issuer: base,
    jwks_uri: `${base}/ssf/jwks.json`,
    delivery_methods_supported: [PUSH_DELIVERY, POLL_DELIVERY],
    configuration_endpoint: `${base}/ssf/streams`,
    status_endpoint: `${base}/ssf/status`,
    add_subject_endpoint: `${base}/ssf/subjects:add`,
    remove_subject_endpoint: `${base}/ssf/subjects:remove`,
    verification_endpoint: `${base}/ssf/verify`,
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
    default_subjects: 'NONE',
  };
}

/**
 * Failure messages name principals ("KeycloakUserNotFound: user 'alice@corp' not in realm 'corp'").
 * Logs and traces keep their shape with every quoted value masked; history keeps them (encrypted).
 */
export function redactQuoted(message: string): string {
  return message.replace(/'[^'\n]*'/g, "'…'").replace(/"[^"\n]*"/g, '"…"');
}

/** API process. */
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createApp } from './app';
import { serviceLogger } from '../telemetry/log';
import { startTracing } from '../telemetry/tracing';

async function main(): Promise<void> {
  const config = loadConfig();
  const tracing = startTracing('ir-api');
  // Buffered spans go out before the process ends (best effort; Nest's shutdown hooks close the app).
  if (tracing)
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void tracing.shutdown());
  const app = await createApp(config);
  await app.listen(config.api.port, config.api.host);
  const url = await app.getUrl();
  serviceLogger('api').info(
    `listening on ${url} (OpenAPI: ${url}/openapi.json, docs: ${url}/docs, metrics: ${url}/metrics)`,
  );
}

main().catch((err) => {
  serviceLogger('api').fatal(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

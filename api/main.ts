/** API process. */
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createApp } from './app';
import { serviceLogger } from '../telemetry/log';

async function main(): Promise<void> {
  const config = loadConfig();
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

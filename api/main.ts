/** API process. */
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.api.port, config.api.host);
  const url = await app.getUrl();
  console.log(`api: listening on ${url} (OpenAPI: ${url}/openapi.json, docs: ${url}/docs)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

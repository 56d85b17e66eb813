import { redactUrl } from '@hitpool/pool';
import { buildApp } from './app.js';
import { configFromEnv, type ServerConfig } from './config.js';

let config: ServerConfig;
try {
  config = configFromEnv();
} catch (error) {
  process.stderr.write(`hitpool demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const { app } = buildApp(config);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(
    `${signal}: finishing in-flight requests, flushing hits, closing the pool\n`,
  );
  try {
    await app.close();
    process.stdout.write('stopped\n');
    process.exitCode = 0;
  } catch (error) {
    process.stderr.write(
      `shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

try {
  const address = await app.listen({ host: config.host, port: config.port });
  process.stdout.write(
    `hitpool demo listening on ${address} (Redis ${redactUrl(config.redisUrl)})\n`,
  );
} catch (error) {
  process.stderr.write(
    `could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  // Close the pool and tracker as well, so the process exits by itself.
  await app.close();
  process.exitCode = 1;
}

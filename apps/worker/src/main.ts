import { ConfigError, createLogger, loadEnvConfig, loadTargets, onShutdownSignal } from '@herald/core';
import { startWorker } from './worker-process';

const SHUTDOWN_CAP_MS = 30_000;

async function main(): Promise<void> {
  let config, targets;
  try {
    config = loadEnvConfig(process.env);
    targets = loadTargets(config, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`herald-worker: ${error.message}`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'herald-worker', level: config.logLevel });
  // Installed before starting, so a signal during startup still shuts down cleanly.
  const starting = startWorker(config, targets, logger);
  onShutdownSignal(async () => (await starting).close(), { capMs: SHUTDOWN_CAP_MS, logger });
  await starting;
}

main().catch((error) => {
  console.error('herald-worker failed to start:', error);
  process.exit(1);
});

import { LocalPostgres } from './local-postgres';

/**
 * `node postgres-server.js <dataDir> <port> <database>`: an embedded PostgreSQL as a
 * process of its own. It prints `ready <url>` once it accepts connections and stops
 * cleanly on SIGTERM. Outage tests start and stop it like a real server.
 */
async function main(): Promise<void> {
  const [dataDir, port, database] = process.argv.slice(2);
  if (!dataDir || !port || !database) {
    console.error('usage: postgres-server <dataDir> <port> <database>');
    process.exit(2);
  }
  const postgres = new LocalPostgres({ dataDir, port: Number(port), database, ephemeral: true });
  await postgres.start();
  process.on('SIGTERM', () => {
    void postgres.stop().then(() => process.exit(0));
  });
  console.log(`ready ${postgres.url}`);
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});

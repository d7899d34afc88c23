import type { DeadLetterRepository, NewDeadLetter } from '@herald/core';

/** What a worker does with the dead-letter queue: write final failures, record replay results. */
export type DeadLetterWriter = Pick<DeadLetterRepository, 'write' | 'recordReplayResult'>;

/**
 * The worker's dead-letter queue, opened on first use. kysely and pg take about 150 ms of
 * a worker's start-up to load (bench/README.md), and a worker whose deliveries succeed
 * never needs them; the first final failure or replay result loads them. PostgreSQL being
 * down is still found then, as before: the pool connects only when a query runs.
 */
export class LazyDeadLetters implements DeadLetterWriter {
  private opened: { repository: DeadLetterWriter; close: () => Promise<void> } | undefined;

  constructor(private readonly databaseUrl: string) {}

  write(entry: NewDeadLetter): Promise<boolean> {
    return this.open().write(entry);
  }

  recordReplayResult(id: string, result: 'succeeded' | 'failed'): Promise<void> {
    return this.open().recordReplayResult(id, result);
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }

  private open(): DeadLetterWriter {
    if (!this.opened) {
      // A typed require, not an import: the packages compile to CommonJS, and an import
      // at the top would load kysely and pg with this module.
      const { createDatabase, KyselyDeadLetterRepository } = require('@herald/core/database') as typeof import('@herald/core/database');
      const db = createDatabase(this.databaseUrl, { maxConnections: 4 });
      this.opened = { repository: new KyselyDeadLetterRepository(db), close: () => db.destroy() };
    }
    return this.opened.repository;
  }
}

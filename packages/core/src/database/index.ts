/**
 * `@herald/core/database`: what loads kysely and pg, kept out of the package index. A
 * process that requires `@herald/core` does not pay for them (about 150 ms of start-up)
 * until it opens the database; the worker does so only when it first dead-letters a job.
 */
export * from './create-database';
export * from '../dead-letter/kysely-dead-letter-repository';

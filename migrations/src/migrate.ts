import { migrateToLatest } from './index';

/** `npm run migrate`: applies pending migrations to DATABASE_URL; exits non-zero naming a failure. */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set: it must name the PostgreSQL database to migrate.');
    process.exit(2);
  }
  try {
    const applied = await migrateToLatest(url);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

void main();

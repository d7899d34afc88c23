export * from './free-port';
export * from './local-redis';
export * from './local-postgres';

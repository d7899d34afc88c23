export * from './free-port';
export * from './local-redis';
export * from './local-postgres';
export * from './role-entries';

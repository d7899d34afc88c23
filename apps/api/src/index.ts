export { startApi, type RunningApi } from './api-server';

import { runRole } from '@herald/core';
import { startApi } from './api-server';

runRole('herald-api', startApi);

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { exitOf } from '../../../test/support/herald';

describe('npm start', () => {
  it('When redis-server is not on PATH and REDIS_URL is unset, then it stops with one message saying how to get one', async () => {
    const { code, output } = await exitOf(
      spawn(process.execPath, [resolve(__dirname, '../dist/start.js')], { env: { PATH: '/nonexistent', HOME: process.env.HOME } }),
    );
    expect(code).toBe(1);
    expect(output).toContain('redis-server was not found on PATH, and REDIS_URL is not set');
    expect(output).toContain('apt-get install redis-server');
    expect(output).toContain('docker compose up -d redis');
  });
});

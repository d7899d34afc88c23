import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApi } from '@herald/api';
import { startWorker } from '@herald/worker';
import { parseTargets } from '@herald/core';
import { eventually } from './support/eventually';
import { Harness, exitOf, getJson, jobSpec, postJson, targetsFrom, testConfig, testEnv, waitForOutput } from './support/herald';
import { capturingLogger } from './support/log-capture';
import { startTargetServer } from './support/target-server';
import { testTempDir } from './support/temp-dir';

function targetsFile(text: string): string {
  const path = join(testTempDir('herald-live-'), 'targets.yaml');
  writeFileSync(path, text);
  return path;
}

describe('live targets', () => {
  const harness = new Harness();
  afterEach(() => harness.closeAll());

  it('When the targets file changes, then the API routes to the new set at once; an invalid file keeps the running set and the log says what is wrong', async () => {
    const sink = await startTargetServer();
    harness.defer(() => sink.close());
    const file = targetsFile(`targets:\n  - { name: first, type: webhook, url: "${sink.url}/first" }\n`);
    const env = testEnv({ TARGETS_FILE: file });
    const { logger, entries } = capturingLogger();
    const api = await startApi(testConfig(env), parseTargets(`targets:\n  - { name: first, type: webhook, url: "${sink.url}/first" }\n`, {}), logger);
    harness.defer(() => api.close());
    const names = async () => ((await getJson(`${api.url}/api/v1/targets`)).body.targets as { name: string }[]).map((t) => t.name);

    writeFileSync(file, `targets:\n  - { name: first, type: webhook, url: "${sink.url}/first" }\n  - { name: second, type: webhook, url: "${sink.url}/second" }\n`);
    await eventually(async () => ((await names()).includes('second') ? true : undefined), 'the new target to appear');
    const accepted = await postJson(`${api.url}/api/v1/publishing/submit`, { labels: { alertname: 'Live' }, targets: ['second'] });
    expect(accepted.status).toBe(202);

    writeFileSync(file, 'targets:\n  - { name: second, type: pigeon, url: "http://x" }\n');
    const rejected = await eventually(async () => entries().find((e) => e.message === 'targets file rejected; the running targets stay in effect'), 'the rejection to be logged');
    expect(rejected.error).toContain('targets[0] (second).type must be one of webhook, slack, pagerduty, rootly, teams');
    expect(await names()).toEqual(['first', 'second']);
  });

  it('When a worker no longer has a target that queued jobs name, then those jobs go to the DLQ saying so, not into endless retries', async () => {
    const databaseUrl = await harness.database();
    const env = testEnv({ DATABASE_URL: databaseUrl });
    const queues = harness.queues(env);
    const orphan = jobSpec('medium', 'orphan');
    await queues.add([orphan]);
    await harness.worker(env, targetsFrom('targets:\n  - { name: other, type: webhook, url: "http://127.0.0.1:9/" }\n'));

    const dlq = harness.dlq(databaseUrl);
    const row = await eventually(() => dlq.getByJobId(orphan.jobId), 'the orphaned job in the DLQ');
    expect(row).toMatchObject({ errorType: 'permanent', errorMessage: 'target "sink" is not configured', attempts: 1 });
  });

  it('When the targets file changes under a running worker, then both its lanes deliver to the new target', async () => {
    const sink = await startTargetServer();
    harness.defer(() => sink.close());
    const first = `targets:\n  - { name: first, type: webhook, url: "${sink.url}/first" }\n`;
    const file = targetsFile(first);
    const env = testEnv({ TARGETS_FILE: file });
    const { logger, entries } = capturingLogger();
    const worker = await startWorker(testConfig(env), parseTargets(first, {}), logger);
    harness.defer(() => worker.close());

    writeFileSync(file, `${first}  - { name: second, type: webhook, url: "${sink.url}/second" }\n`);
    await eventually(async () => entries().find((e) => e.message === 'targets reloaded'), 'the worker to reload');
    // High is delivered by the urgent lane's thread, low by the main thread.
    const [high, low] = [jobSpec('high', 'to-second-high', 'second'), jobSpec('low', 'to-second-low', 'second')];
    await harness.queues(env).add([high, low]);
    const delivered = await sink.waitForRequests(2);
    expect(delivered.map((r) => r.path).sort()).toEqual(['/second', '/second']);
  });

  it('When a running API process gets an edited file or SIGHUP, then it reloads, and a bad file is refused without a restart', async () => {
    const file = targetsFile('targets:\n  - { name: one, type: webhook, url: "${HOOK_URL}" }\n');
    const api = harness.spawnRole('api', testEnv({ TARGETS_FILE: file, HOOK_URL: 'https://hooks.example/secret-token-abc', LOG_LEVEL: 'info' }));
    const exited = exitOf(api);
    await waitForOutput(api, 'api listening');

    writeFileSync(file, 'targets:\n  - { name: one, type: webhook, url: "${HOOK_URL}" }\n  - { name: two, type: webhook, url: "${HOOK_URL}/2" }\n');
    await waitForOutput(api, '"reason":"file changed"');
    writeFileSync(file, 'targets:\n  - { name: one, type: webhook }\n');
    await waitForOutput(api, '"url\\" is required');
    api.kill('SIGHUP');
    await waitForOutput(api, '"reason":"SIGHUP"');

    api.kill('SIGTERM');
    const { code, output } = await exited;
    expect(code).toBe(0);
    expect(output).toContain('"added":["two"]');
    expect(output).not.toContain('secret-token-abc');
  });
});

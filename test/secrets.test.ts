import { startApi } from '@herald/api';
import { startWorker } from '@herald/worker';
import { eventually } from './support/eventually';
import { Harness, getJson, postJson, targetsFrom, testConfig, testEnv } from './support/herald';
import { capturingLogger } from './support/log-capture';
import { startTargetServer } from './support/target-server';

const SECRETS = {
  SLACK_HOOK: 'T0SECRET/B0SECRET/slackSecretXYZ',
  PD_KEY: 'pdSecretRoutingKey0123456789abcd',
  ROOTLY_TOKEN: 'rootly-secret-token-7f3a',
  TEAMS_HOOK: 'teamsSecretPath9q8w7e',
  HOOK_TOKEN: 'webhook-secret-header-5k2j',
};

describe('secrets', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());

  it('When every kind of target holds a secret and its deliveries fail, then no secret appears in API answers, job views, DLQ rows or logs', async () => {
    // Every service refuses the credentials, so each job dead-letters with its target's config.
    const service = await startTargetServer(() => ({ status: 401, body: 'invalid credentials' }));
    harness.defer(() => service.close());
    const targets = targetsFrom(
      `targets:
  - { name: slack, type: slack, url: "${service.url}/services/\${SLACK_HOOK}" }
  - { name: pagerduty, type: pagerduty, routingKey: "\${PD_KEY}", url: "${service.url}/v2/enqueue" }
  - { name: rootly, type: rootly, token: "\${ROOTLY_TOKEN}", url: "${service.url}/v1/alerts" }
  - { name: teams, type: teams, url: "${service.url}/webhookb2/\${TEAMS_HOOK}" }
  - { name: hook, type: webhook, url: "${service.url}/hook", headers: { authorization: "Bearer \${HOOK_TOKEN}" } }
`,
      SECRETS,
    );
    const env = testEnv({ DATABASE_URL: await harness.database() });
    const apiLogs = capturingLogger();
    const workerLogs = capturingLogger();
    const api = await startApi(testConfig(env), targets, apiLogs.logger);
    harness.defer(() => api.close());
    const worker = await startWorker(testConfig(env), targets, workerLogs.logger);
    harness.defer(() => worker.close());

    const submitted = await postJson(`${api.url}/api/v1/publishing/submit`, { labels: { alertname: 'Leak', severity: 'critical' } });
    expect(submitted.body.jobs).toHaveLength(5);
    const seen: string[] = [JSON.stringify(submitted.body)];
    const dlqPage = await eventually(async () => {
      const { body } = await getJson(`${api.url}/api/v1/publishing/dlq?limit=10`);
      return body.entries?.length === 5 ? body : undefined;
    }, 'all five jobs in the DLQ');
    seen.push(JSON.stringify(dlqPage));
    expect(service.requests).toHaveLength(5);

    for (const job of submitted.body.jobs as { id: string }[]) seen.push(JSON.stringify((await getJson(`${api.url}/api/v1/publishing/jobs/${job.id}`)).body));
    seen.push(JSON.stringify((await getJson(`${api.url}/api/v1/publishing/jobs?limit=50`)).body));
    const shownTargets = (await getJson(`${api.url}/api/v1/targets`)).body;
    seen.push(JSON.stringify(shownTargets), JSON.stringify((await getJson(`${api.url}/api/v1/publishing/stats`)).body));
    seen.push((await getJson(`${api.url}/metrics`)).body, (await getJson(`http://127.0.0.1:${worker.metricsPort}/metrics`)).body);
    seen.push(...apiLogs.lines, ...workerLogs.lines);

    expect(workerLogs.lines.some((line) => line.includes('delivery failed for good'))).toBe(true);
    for (const secret of Object.values(SECRETS)) {
      expect(seen.filter((text) => text.includes(secret))).toEqual([]);
    }
    const [slack, pagerduty, rootly, teams, hook] = shownTargets.targets;
    expect([slack.url, pagerduty.routingKey, rootly.token, teams.url, hook.headers.authorization]).toEqual(Array(5).fill('[redacted]'));
    expect([pagerduty.url, rootly.url, hook.url]).toEqual([`${service.url}/v2/enqueue`, `${service.url}/v1/alerts`, `${service.url}/hook`]);
  });
});

import { eventually } from './support/eventually';
import { Harness, alertmanagerPayload, postJson, targetsFrom, testEnv, type TestAlert } from './support/herald';
import { startPagerDutyImitation } from './support/imitations/pagerduty';
import { startRootlyImitation } from './support/imitations/rootly';
import { startSlackImitation } from './support/imitations/slack';
import { startTeamsImitation } from './support/imitations/teams';

const ROUTING_KEY = 'e2eRoutingKey0123456789abcdefABC';

describe('publishing to imitations of each service, through API and worker', () => {
  const harness = new Harness();
  afterAll(() => harness.closeAll());

  it('When Alertmanager sends a mix of alerts and later resolves one, then every service accepts every request, and PagerDuty resolves the incident it opened', async () => {
    const [slack, pagerduty, rootly, teams] = await Promise.all([
      startSlackImitation(),
      startPagerDutyImitation({ routingKey: ROUTING_KEY }),
      startRootlyImitation({ token: 'rootly-e2e-token' }),
      startTeamsImitation({ mode: 'workflows' }),
    ]);
    for (const imitation of [slack, pagerduty, rootly, teams]) harness.defer(() => imitation.close());
    const targets = targetsFrom(
      `targets:
  - { name: slack, type: slack, url: "${slack.url}/services/T000/B000/XXXX", rateLimit: { max: 20, perMs: 1000 } }
  - { name: pagerduty, type: pagerduty, routingKey: "${ROUTING_KEY}", url: "${pagerduty.url}/v2/enqueue", match: { severity: critical } }
  - { name: rootly, type: rootly, token: "rootly-e2e-token", url: "${rootly.url}/v1/alerts" }
  - { name: teams, type: teams, url: "${teams.url}/webhookb2/abc", title: "{{ labels.alertname }} ({{ labels.severity }})" }
`,
    );
    const env = testEnv({ DATABASE_URL: await harness.database(), MAX_ATTEMPTS: '1' });
    const { url } = await harness.api(env, targets);
    await harness.worker(env, targets);

    const firing: TestAlert[] = [
      { labels: { alertname: 'ApiDown', severity: 'critical', service: 'api' }, annotations: { summary: 'API is down', runbook_url: 'https://runbooks.example.com/api' }, fingerprint: 'e2e0000000000001' },
      { labels: { alertname: 'DiskFilling', severity: 'warning', instance: 'db-1:9100' }, annotations: {}, fingerprint: 'e2e0000000000002' },
      { labels: { alertname: 'Température', severity: 'info', site: '東京' }, annotations: { description: 'ça chauffe 🔥 '.repeat(3000) }, fingerprint: 'e2e0000000000003' },
    ];
    expect((await postJson(`${url}/api/v1/webhooks/alertmanager`, alertmanagerPayload(firing))).body.jobs).toHaveLength(3 * 3 + 1);
    const resolved = await postJson(`${url}/api/v1/webhooks/alertmanager`, alertmanagerPayload([{ ...firing[0]!, status: 'resolved' }]));
    expect(resolved.body.jobs).toHaveLength(4);

    await eventually(async () => (slack.accepted.length === 4 && rootly.alerts.length === 4 && teams.cards.length === 4 && pagerduty.events.length === 2 ? true : undefined), 'every service to accept every alert');
    expect(pagerduty.events.map((event) => [event.event_action, event.dedup_key])).toEqual([
      ['trigger', 'e2e0000000000001'],
      ['resolve', 'e2e0000000000001'],
    ]);
    expect(pagerduty.incidents.get('e2e0000000000001')).toBe('resolved');
  });
});

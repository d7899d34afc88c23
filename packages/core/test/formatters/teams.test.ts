import { HttpStatusError, NO_GROUP, classifyError, createHttpDelivery, formatFor, type Alert, type HttpDelivery, type OutboundRequest, type TeamsTarget } from '@herald/core';
import { teamsService } from '../../src/formatters/teams';
import { ALL_FIXTURES, BARE_WARNING, FIRING_CRITICAL, GROUP, LONG_DESCRIPTION, RESOLVED_CRITICAL, UNICODE_INFO } from '../../../../test/support/alert-fixtures';
import { LEGACY_THROTTLED_BODY, RETRY_AFTER_SECONDS, TEAMS_MESSAGE_LIMIT_BYTES, startTeamsImitation, type TeamsImitation } from '../../../../test/support/imitations/teams';

const readAnswer = teamsService.readAnswer!;

function targetFor(imitation: { url: string } | null, extra: Partial<TeamsTarget> = {}): TeamsTarget {
  return { name: 'ops-teams', type: 'teams', url: `${imitation?.url ?? 'https://example.webhook.office.com'}/webhookb2/abc`, timeoutMs: 5000, secretFields: ['url'], ...extra };
}

function messageOf(request: OutboundRequest): any {
  return JSON.parse(request.body);
}

function cardOf(alert: Alert, target: TeamsTarget = targetFor(null)): any {
  return messageOf(teamsService.format(alert, GROUP, target)).attachments[0].content;
}

const ENVELOPE = (content: unknown) => ({
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
});

const GENERATOR_URL =
  'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&g0.tab=1';

describe('Teams formatter (golden)', () => {
  it('When a critical alert fires, then the request is exactly the documented Adaptive Card message', () => {
    const target = targetFor(null);
    const request = teamsService.format(FIRING_CRITICAL, GROUP, target);

    expect({ ...request, body: undefined }).toEqual({ method: 'POST', url: target.url, headers: { 'content-type': 'application/json' }, body: undefined });
    expect(messageOf(request)).toEqual(
      ENVELOPE({
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: '[FIRING] HighRequestLatency', wrap: true, size: 'Large', weight: 'Bolder', color: 'attention' },
          {
            type: 'TextBlock',
            text: 'p99 latency above 2s on checkout\n\ncheckout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
            wrap: true,
          },
          {
            type: 'FactSet',
            facts: [
              { title: 'Status', value: 'Firing' },
              { title: 'Severity', value: 'critical' },
              { title: 'Started', value: '2026-11-22T09:58:31.482917364Z' },
              { title: 'service', value: 'checkout' },
              { title: 'instance', value: 'checkout-7d9f:8080' },
              { title: 'job', value: 'api' },
              { title: 'team', value: 'payments' },
            ],
          },
        ],
        actions: [
          { type: 'Action.OpenUrl', title: 'Source', url: GENERATOR_URL },
          { type: 'Action.OpenUrl', title: 'Runbook', url: 'https://runbooks.example.com/checkout/latency' },
          { type: 'Action.OpenUrl', title: 'Dashboard', url: 'https://grafana.example.com/d/checkout' },
        ],
        msteams: { width: 'Full' },
      }),
    );
  });

  it('When the critical alert resolves, then the card is green, says Resolved and shows when it ended', () => {
    expect(messageOf(teamsService.format(RESOLVED_CRITICAL, GROUP, targetFor(null)))).toEqual(
      ENVELOPE({
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: '[RESOLVED] HighRequestLatency', wrap: true, size: 'Large', weight: 'Bolder', color: 'good' },
          {
            type: 'TextBlock',
            text: 'p99 latency above 2s on checkout\n\ncheckout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.',
            wrap: true,
          },
          {
            type: 'FactSet',
            facts: [
              { title: 'Status', value: 'Resolved' },
              { title: 'Severity', value: 'critical' },
              { title: 'Started', value: '2026-11-22T09:58:31.482917364Z' },
              { title: 'Ended', value: '2026-11-22T10:21:04.113Z' },
              { title: 'service', value: 'checkout' },
              { title: 'instance', value: 'checkout-7d9f:8080' },
              { title: 'job', value: 'api' },
              { title: 'team', value: 'payments' },
            ],
          },
        ],
        actions: [
          { type: 'Action.OpenUrl', title: 'Source', url: GENERATOR_URL },
          { type: 'Action.OpenUrl', title: 'Runbook', url: 'https://runbooks.example.com/checkout/latency' },
          { type: 'Action.OpenUrl', title: 'Dashboard', url: 'https://grafana.example.com/d/checkout' },
        ],
        msteams: { width: 'Full' },
      }),
    );
  });
});

describe('Teams formatter (content)', () => {
  it('When severities differ, then the title is colored attention, warning, accent or default', () => {
    expect(cardOf(BARE_WARNING).body[0].color).toBe('warning');
    expect(cardOf(UNICODE_INFO).body[0].color).toBe('accent');
    expect(cardOf({ ...BARE_WARNING, labels: { alertname: 'NoSeverity' } }).body[0].color).toBe('default');
  });

  it('When the target sets title and text templates, then the card shows them, and alertname becomes a fact', () => {
    const card = cardOf(FIRING_CRITICAL, targetFor(null, { title: '{{ labels.service }} is slow ({{ status }})', text: 'Summary: {{ annotations.summary }}' }));
    expect(card.body[0].text).toBe('checkout is slow (firing)');
    expect(card.body[1].text).toBe('Summary: p99 latency above 2s on checkout');
    expect(card.body[2].facts).toContainEqual({ title: 'alertname', value: 'HighRequestLatency' });
  });

  it('When a template renders nothing, then the alert name stands in for the title and the text block is left out', () => {
    const card = cardOf(FIRING_CRITICAL, targetFor(null, { title: '{{ labels.missing }}', text: '{{ annotations.missing }}' }));
    expect(card.body[0].text).toBe('HighRequestLatency');
    expect(card.body.map((element: { type: string }) => element.type)).toEqual(['TextBlock', 'FactSet']);
  });

  it('When text carries Markdown, HTML-like characters and Unicode, then it is passed through unescaped', () => {
    const alert: Alert = { ...UNICODE_INFO, annotations: { summary: 'See **[the runbook](https://r.example.com)** <b>now</b> & "quickly"' } };
    expect(cardOf(alert).body[1].text).toBe('See **[the runbook](https://r.example.com)** <b>now</b> & "quickly"');
    expect(cardOf(UNICODE_INFO).body[1].text).toBe('Température élevée 🔥 à 東京\n\nالحرارة مرتفعة — ça chauffe');
    expect(cardOf(UNICODE_INFO).body[2].facts).toContainEqual({ title: 'site', value: '東京' });
  });

  it('When the description is 100,000 characters, then the text is cut with an ellipsis and the body stays far below 28 KB', () => {
    const request = teamsService.format(LONG_DESCRIPTION, GROUP, targetFor(null));
    const card = messageOf(request).attachments[0].content;
    expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(20_000);
    expect(card.body[1].text.startsWith('SSSS')).toBe(true);
    expect(card.body[1].text.endsWith('…')).toBe(true);
    expect(card.body[2].facts).toContainEqual({ title: 'team', value: 'payments' });
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Source', url: GENERATOR_URL }]);
  });

  it('When labels alone overflow the budget, then they are left out and the text and links kept', () => {
    const labels = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`label_${i}`, '東'.repeat(600)]));
    const alert: Alert = { ...LONG_DESCRIPTION, labels: { ...labels, alertname: 'Huge', severity: 'critical' } };
    const request = teamsService.format(alert, GROUP, targetFor(null));
    const card = messageOf(request).attachments[0].content;
    expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(20_000);
    expect(card.body[2].facts.map((fact: { title: string }) => fact.title)).toEqual(['Status', 'Severity', 'Started']);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Source', url: GENERATOR_URL }]);
    expect(card.body[1].text.length).toBeGreaterThanOrEqual(1000);
  });

  it('When a link is longer than 4,096 characters, then it is left out rather than cut into a broken link', () => {
    const alert: Alert = { ...FIRING_CRITICAL, generatorURL: `http://prometheus.example.com/graph?g0.expr=${'x'.repeat(5000)}` };
    expect(cardOf(alert).actions.map((action: { title: string }) => action.title)).toEqual(['Runbook', 'Dashboard']);
  });

  it('When emoji straddle the cut, then no half surrogate pair is left behind', () => {
    const alert: Alert = { ...FIRING_CRITICAL, annotations: { description: '🔥'.repeat(20_000) } };
    const text: string = cardOf(alert).body[1].text;
    expect(text.endsWith('🔥…')).toBe(true);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('When Herald formats for a teams target, then the registry uses this service', () => {
    const target = targetFor(null);
    expect(formatFor(FIRING_CRITICAL, NO_GROUP, target)).toEqual(teamsService.format(FIRING_CRITICAL, NO_GROUP, target));
  });
});

describe('Teams answers', () => {
  it('When Teams answers 202 empty or 200 "1", then that is success', () => {
    expect(readAnswer(202, '')).toBe('success');
    expect(readAnswer(200, '1')).toBe('success');
  });

  it('When a 200 body reports an HTTP error inside, then its status decides the class', () => {
    expect(readAnswer(200, LEGACY_THROTTLED_BODY)).toBe('transient');
    expect(readAnswer(200, 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 503 with ContextId x')).toBe('transient');
    expect(readAnswer(200, 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId x')).toBe('permanent');
    expect(readAnswer(200, 'Webhook message delivery failed with error: something new')).toBe('unknown');
  });

  it('When a non-2xx answer carries no embedded status, then the HTTP status alone decides', () => {
    expect(readAnswer(400, 'Bad payload received by generic incoming webhook.')).toBeUndefined();
    expect(readAnswer(400, 'Microsoft Teams endpoint returned HTTP error 429')).toBe('transient');
  });
});

describe.each(['workflows', 'legacy'] as const)('Teams over HTTP (%s webhook)', (mode) => {
  let imitation: TeamsImitation;
  let delivery: HttpDelivery;
  let target: TeamsTarget;

  beforeAll(async () => {
    imitation = await startTeamsImitation({ mode });
    delivery = createHttpDelivery();
    target = targetFor(imitation);
  });

  afterAll(async () => {
    await delivery.close();
    await imitation.close();
  });

  it.each(Object.entries(ALL_FIXTURES))('When %s is sent, then Teams accepts the card as it was formatted, under 28 KB', async (_name, alert) => {
    const request = teamsService.format(alert, GROUP, target);
    expect(Buffer.byteLength(request.body)).toBeLessThan(TEAMS_MESSAGE_LIMIT_BYTES);

    const result = await delivery.send(request, target.timeoutMs, undefined, readAnswer);

    expect(result.httpStatus).toBe(mode === 'workflows' ? 202 : 200);
    expect(imitation.cards.at(-1)).toEqual(messageOf(request).attachments[0].content);
    expect(imitation.rejections).toEqual([]);
  });

  it('When Teams throttles with 429 and Retry-After, then the send fails as transient with the wait', async () => {
    imitation.failNext('throttled');
    const error = await delivery.send(teamsService.format(FIRING_CRITICAL, GROUP, target), target.timeoutMs, undefined, readAnswer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(classifyError(error, readAnswer)).toEqual({ type: 'transient', httpStatus: 429, retryAfterMs: RETRY_AFTER_SECONDS * 1000 });
  });

  it('When Teams fails with 500, then the send fails as transient', async () => {
    imitation.failNext('server-error');
    const error = await delivery.send(teamsService.format(FIRING_CRITICAL, GROUP, target), target.timeoutMs, undefined, readAnswer).catch((e: unknown) => e);
    expect(classifyError(error, readAnswer)).toMatchObject({ type: 'transient', httpStatus: 500 });
  });

  it('When a legacy connector answers 200 reporting HTTP error 429, then the send throws and the failure is transient', async () => {
    imitation.failNext('legacy-throttled');
    const error = await delivery.send(teamsService.format(FIRING_CRITICAL, GROUP, target), target.timeoutMs, undefined, readAnswer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(classifyError(error, readAnswer)).toEqual({ type: 'transient', httpStatus: 200, retryAfterMs: null });
  });

  it('When failures are scripted for two requests, then the third is accepted again', async () => {
    imitation.failNext('server-error', 2);
    const send = () => delivery.send(teamsService.format(BARE_WARNING, GROUP, target), target.timeoutMs, undefined, readAnswer);
    await expect(send()).rejects.toBeInstanceOf(HttpStatusError);
    await expect(send()).rejects.toBeInstanceOf(HttpStatusError);
    await expect(send()).resolves.toEqual({ httpStatus: mode === 'workflows' ? 202 : 200 });
  });
});

describe('The Teams imitation rejects what Teams rejects', () => {
  let imitation: TeamsImitation;
  let delivery: HttpDelivery;
  let target: TeamsTarget;

  beforeAll(async () => {
    imitation = await startTeamsImitation({ mode: 'legacy' });
    delivery = createHttpDelivery();
    target = targetFor(imitation);
  });

  afterAll(async () => {
    await delivery.close();
    await imitation.close();
  });

  /** The formatted FIRING_CRITICAL message, changed by `mutate` before it is sent. */
  async function sendMutated(mutate: (message: any) => void): Promise<unknown> {
    const request = teamsService.format(FIRING_CRITICAL, GROUP, target);
    const message = messageOf(request);
    mutate(message);
    return delivery.send({ ...request, body: JSON.stringify(message) }, target.timeoutMs, undefined, readAnswer).catch((e: unknown) => e);
  }

  it('When the attachment has the wrong contentType, then Teams answers 400 and the failure is permanent', async () => {
    const error = await sendMutated((message) => {
      message.attachments[0].contentType = 'application/vnd.microsoft.card.hero';
    });
    expect(error).toMatchObject({ status: 400 });
    expect(classifyError(error, readAnswer).type).toBe('permanent');
    expect(imitation.rejections.at(-1)).toMatch(/contentType/);
  });

  it('When a TextBlock has no text, then Teams answers 400 and the failure is permanent', async () => {
    const error = await sendMutated((message) => {
      delete message.attachments[0].content.body[0].text;
    });
    expect(classifyError(error, readAnswer)).toMatchObject({ type: 'permanent', httpStatus: 400 });
    expect(imitation.rejections.at(-1)).toMatch(/TextBlock.text/);
  });

  it('When a fact or an action is malformed, then Teams answers 400', async () => {
    await expect(sendMutated((message) => (message.attachments[0].content.body[2].facts[0].value = 3))).resolves.toMatchObject({ status: 400 });
    await expect(sendMutated((message) => (message.attachments[0].content.actions[0] = { type: 'Action.Submit', title: 'Ack' }))).resolves.toMatchObject({ status: 400 });
    await expect(sendMutated((message) => delete message.attachments[0].content.actions[0].url)).resolves.toMatchObject({ status: 400 });
    await expect(sendMutated((message) => (message.type = 'MessageCard'))).resolves.toMatchObject({ status: 400 });
  });

  it('When the message is over 28 KB, then Teams answers 413 and the failure is permanent', async () => {
    const error = await sendMutated((message) => {
      message.attachments[0].content.body[1].text = 'x'.repeat(TEAMS_MESSAGE_LIMIT_BYTES);
    });
    expect(classifyError(error, readAnswer)).toMatchObject({ type: 'permanent', httpStatus: 413 });
  });

  it('When the body is not JSON, then Teams answers 400', async () => {
    const request = teamsService.format(FIRING_CRITICAL, GROUP, target);
    const error = await delivery.send({ ...request, body: 'not json' }, target.timeoutMs, undefined, readAnswer).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400 });
  });
});

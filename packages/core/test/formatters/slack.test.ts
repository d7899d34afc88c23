import { HttpStatusError, classifyError, createHttpDelivery, type Alert, type HttpDelivery, type OutboundRequest, type SlackTarget } from '@herald/core';
import { SLACK_LIMITS, slackService } from '../../src/formatters/slack';
import { ALL_FIXTURES, BARE_WARNING, FIRING_CRITICAL, GROUP, LONG_DESCRIPTION, RESOLVED_CRITICAL } from '../../../../test/support/alert-fixtures';
import { startSlackImitation, type SlackImitation } from '../../../../test/support/imitations/slack';

const WEBHOOK_PATH = '/services/T000/B000/XXXX';

function targetFor(imitation: { url: string } | null, extra: Partial<SlackTarget> = {}): SlackTarget {
  return { name: 'ops-slack', type: 'slack', url: `${imitation?.url ?? 'https://hooks.slack.com'}${WEBHOOK_PATH}`, timeoutMs: 5000, secretFields: ['url'], ...extra };
}

function messageOf(alert: Alert, target: SlackTarget = targetFor(null)): any {
  return JSON.parse(slackService.format(alert, GROUP, target).body);
}

/** Every text object in a message, top-level blocks and attachment blocks alike. */
function textsOf(message: any): string[] {
  const blocks = [...message.blocks, ...message.attachments.flatMap((attachment: any) => attachment.blocks)];
  return blocks.flatMap((block: any) => [block.text, ...(block.fields ?? []), ...(block.elements ?? [])]).filter(Boolean).map((object: any) => object.text);
}

function blockCount(message: any): number {
  return message.blocks.length + message.attachments.reduce((sum: number, attachment: any) => sum + attachment.blocks.length, 0);
}

/** The fixture's labels as Slack fields, in the alert's own order. */
const LABEL_FIELDS = {
  type: 'section',
  fields: [
    { type: 'mrkdwn', text: '*alertname*\nHighRequestLatency' },
    { type: 'mrkdwn', text: '*severity*\ncritical' },
    { type: 'mrkdwn', text: '*service*\ncheckout' },
    { type: 'mrkdwn', text: '*instance*\ncheckout-7d9f:8080' },
    { type: 'mrkdwn', text: '*job*\napi' },
    { type: 'mrkdwn', text: '*team*\npayments' },
  ],
};

/** The generator URL's `&` is escaped inside the link, as Slack's formatting guide asks. */
const LINKS = {
  type: 'section',
  text: {
    type: 'mrkdwn',
    text:
      '<http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+2&amp;g0.tab=1|Source>' +
      '  ·  <https://runbooks.example.com/checkout/latency|Runbook>' +
      '  ·  <https://grafana.example.com/d/checkout|Dashboard>',
  },
};

const SUMMARY_AND_DESCRIPTION = 'p99 latency above 2s on checkout\ncheckout-7d9f:8080 has had a p99 request latency of 3.4s for the last 10 minutes.';

describe('Slack formatter (golden)', () => {
  it('When a critical alert fires, then the request is exactly the expected incoming-webhook message', () => {
    const request = slackService.format(FIRING_CRITICAL, GROUP, targetFor(null));

    expect({ ...request, body: JSON.parse(request.body) }).toEqual({
      method: 'POST',
      url: 'https://hooks.slack.com/services/T000/B000/XXXX',
      headers: { 'content-type': 'application/json' },
      body: {
        text: `[FIRING] HighRequestLatency\n${SUMMARY_AND_DESCRIPTION}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: '[FIRING] HighRequestLatency', emoji: true } },
          { type: 'section', text: { type: 'mrkdwn', text: SUMMARY_AND_DESCRIPTION } },
        ],
        attachments: [
          {
            color: '#E01E5A',
            blocks: [
              {
                type: 'context',
                elements: [
                  {
                    type: 'mrkdwn',
                    text: ':red_circle: *Firing*  ·  Severity: *critical*  ·  Started <!date^1795341511^{date_short_pretty} at {time}|2026-11-22 09:58 UTC>',
                  },
                ],
              },
              LABEL_FIELDS,
              LINKS,
            ],
          },
        ],
      },
    });
  });

  it('When the alert resolves, then the message says so in its title, status line and fallback, in green', () => {
    expect(messageOf(RESOLVED_CRITICAL)).toEqual({
      text: `[RESOLVED] HighRequestLatency\n${SUMMARY_AND_DESCRIPTION}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '[RESOLVED] HighRequestLatency', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: SUMMARY_AND_DESCRIPTION } },
      ],
      attachments: [
        {
          color: '#2EB67D',
          blocks: [
            {
              type: 'context',
              elements: [
                {
                  type: 'mrkdwn',
                  text:
                    ':white_check_mark: *Resolved*  ·  Severity: *critical*' +
                    '  ·  Started <!date^1795341511^{date_short_pretty} at {time}|2026-11-22 09:58 UTC>' +
                    '  ·  Resolved <!date^1795342864^{date_short_pretty} at {time}|2026-11-22 10:21 UTC>',
                },
              ],
            },
            LABEL_FIELDS,
            LINKS,
          ],
        },
      ],
    });
  });
});

describe('Slack formatter', () => {
  it('When the target has title and text templates, then they replace the default title and text', () => {
    const target = targetFor(null, { title: '{{ labels.service }} is slow', text: '{{ annotations.summary }} ({{ labels.instance }})' });
    const message = messageOf(FIRING_CRITICAL, target);

    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'checkout is slow', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'p99 latency above 2s on checkout (checkout-7d9f:8080)' } },
    ]);
    expect(message.text).toBe('[FIRING] checkout is slow\np99 latency above 2s on checkout (checkout-7d9f:8080)');
    expect(messageOf(RESOLVED_CRITICAL, target).text).toMatch(/^\[RESOLVED\] checkout is slow\n/);
  });

  it('When templates render to nothing, then the title falls back to the alert name and the empty text is left out', () => {
    const message = messageOf(FIRING_CRITICAL, targetFor(null, { title: '{{ labels.missing }}', text: '{{ annotations.missing }}' }));

    expect(message.blocks).toEqual([{ type: 'header', text: { type: 'plain_text', text: 'HighRequestLatency', emoji: true } }]);
    expect(message.text).toBe('[FIRING] HighRequestLatency');
  });

  it('When alert text holds &, < and >, then they are escaped, so no link or @channel mention is made', () => {
    const alert: Alert = {
      ...BARE_WARNING,
      labels: { ...BARE_WARNING.labels, owner: '<@U024BE7LH>' },
      annotations: { summary: 'Disk & inode use > 90% <!channel>', description: '<https://evil.example.com|click me>' },
    };
    const message = messageOf(alert);

    expect(message.blocks[1].text.text).toBe('Disk &amp; inode use &gt; 90% &lt;!channel&gt;\n&lt;https://evil.example.com|click me&gt;');
    expect(message.attachments[0].blocks[1].fields).toContainEqual({ type: 'mrkdwn', text: '*owner*\n&lt;@U024BE7LH&gt;' });
    expect(message.text).not.toMatch(/<|>|&(?!amp;|lt;|gt;)/);
  });

  it('When an alert has no annotations and no generator URL, then there is no links section and the text is the alert name', () => {
    const message = messageOf(BARE_WARNING);

    expect(message.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'DiskFilling' } });
    expect(message.attachments[0].blocks.map((block: any) => block.type)).toEqual(['context', 'section']);
  });

  it.each([
    ['critical', 'firing', '#E01E5A'],
    ['warning', 'firing', '#ECB22E'],
    ['info', 'firing', '#36C5F0'],
    ['Warning', 'firing', '#ECB22E'],
    ['sev-7', 'firing', '#9E9EA6'],
    ['critical', 'resolved', '#2EB67D'],
  ] as const)('When severity is %s and the alert is %s, then the colour is %s', (severity, status, colour) => {
    const alert: Alert = { ...FIRING_CRITICAL, status, labels: { ...FIRING_CRITICAL.labels, severity } };
    expect(messageOf(alert).attachments[0].color).toBe(colour);
  });

  it('When the description is 100,000 characters, then every text stays within Slack’s limits, cut with an ellipsis', () => {
    const message = messageOf(LONG_DESCRIPTION);

    expect(message.blocks[0].text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    expect(message.blocks[1].text.text).toHaveLength(SLACK_LIMITS.sectionText);
    expect(message.blocks[1].text.text.endsWith('…')).toBe(true);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    expect(JSON.stringify(message).length).toBeLessThan(10_000);
  });

  it('When a cut falls inside an escaped entity or an emoji, then neither is left half-written', () => {
    const ampersands = messageOf({ ...FIRING_CRITICAL, annotations: { summary: 'x&'.repeat(2000) } }).blocks[1].text.text;
    const emoji = messageOf({ ...FIRING_CRITICAL, annotations: { summary: '🔥'.repeat(2000) } }).blocks[1].text.text;

    expect(ampersands.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(ampersands).toMatch(/(x&amp;)+x?…$/);
    expect(emoji.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(emoji).toMatch(/🔥…$/);
  });

  it('When an alert has more labels than 50 blocks can hold, then the message keeps to 50 blocks and says how many labels it left out', () => {
    const labels = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`label_${i}`, `value ${i}`]));
    const message = messageOf({ ...FIRING_CRITICAL, labels });

    expect(blockCount(message)).toBe(SLACK_LIMITS.blocks);
    expect(message.attachments[0].blocks.at(-2).fields.at(-1)).toEqual({ type: 'mrkdwn', text: '_…and 141 more labels_' });
  });
});

describe('Slack delivery to the imitation, over HTTP', () => {
  let imitation: SlackImitation;
  let delivery: HttpDelivery;

  beforeAll(async () => {
    imitation = await startSlackImitation();
    delivery = createHttpDelivery();
  });

  afterAll(async () => {
    await delivery.close();
    await imitation.close();
  });

  /** Sends a request that must fail and returns the failure. */
  async function failureOf(request: OutboundRequest): Promise<HttpStatusError> {
    const error = await delivery.send(request, 5000).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(HttpStatusError);
    return error as HttpStatusError;
  }

  function rawRequest(body: string, contentType = 'application/json', path = WEBHOOK_PATH): OutboundRequest {
    return { method: 'POST', url: `${imitation.url}${path}`, headers: { 'content-type': contentType }, body };
  }

  it.each(Object.entries(ALL_FIXTURES))('When the %s fixture is sent, then the imitation accepts it, records it and finds nothing to warn about', async (_name, alert) => {
    const request = slackService.format(alert, GROUP, targetFor(imitation));
    const before = imitation.accepted.length;

    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 200 });

    expect(imitation.accepted).toHaveLength(before + 1);
    expect(imitation.accepted.at(-1)).toMatchObject({ path: WEBHOOK_PATH, body: JSON.parse(request.body), warnings: [] });
  });

  it('When templates render to nothing or labels overflow, then the message is still one Slack accepts', async () => {
    const labels = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`label_${i}`, i === 0 ? 'v'.repeat(3000) : `value ${i}`]));
    const requests = [
      slackService.format(FIRING_CRITICAL, GROUP, targetFor(imitation, { title: '{{ labels.missing }}', text: '{{ annotations.missing }}' })),
      slackService.format({ ...FIRING_CRITICAL, labels }, GROUP, targetFor(imitation)),
      slackService.format({ ...BARE_WARNING, annotations: { summary: '<!channel> a & b > c', runbook_url: 'https://x.example.com/a|b>c' } }, GROUP, targetFor(imitation)),
    ];

    for (const request of requests) await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 200 });
    expect(imitation.accepted.slice(-3).map((message) => message.warnings)).toEqual([[], [], []]);
  });

  it.each([
    [400, 'invalid_payload', 'permanent'],
    [403, 'action_prohibited', 'permanent'],
    [404, 'channel_not_found', 'permanent'],
    [410, 'channel_is_archived', 'permanent'],
    [500, 'rollup_error', 'transient'],
  ] as const)('When Slack answers %d %s, then the failure is %s', async (status, body, type) => {
    imitation.failNext({ status, body });

    const error = await failureOf(slackService.format(FIRING_CRITICAL, GROUP, targetFor(imitation)));

    expect(error.body).toBe(body);
    expect(classifyError(error, slackService.readAnswer)).toEqual({ type, httpStatus: status, retryAfterMs: null });
  });

  it('When Slack rate-limits with 429 and Retry-After, then the failure is transient and carries the wait', async () => {
    imitation.failNext({ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }, 2);
    const request = slackService.format(FIRING_CRITICAL, GROUP, targetFor(imitation));

    for (let attempt = 0; attempt < 2; attempt++) {
      expect(classifyError(await failureOf(request), slackService.readAnswer)).toEqual({ type: 'transient', httpStatus: 429, retryAfterMs: 1000 });
    }
    await expect(delivery.send(request, 5000)).resolves.toEqual({ httpStatus: 200 });
  });

  it('When a webhook’s channel is gone, then every request to it answers 404 channel_not_found, a permanent failure', async () => {
    const path = '/services/T000/B000/DELETED';
    imitation.answerAt(path, { status: 404, body: 'channel_not_found' });
    const target = { ...targetFor(imitation), url: `${imitation.url}${path}` };

    for (const alert of [FIRING_CRITICAL, RESOLVED_CRITICAL]) {
      const error = await failureOf(slackService.format(alert, GROUP, target));
      expect(error.body).toBe('channel_not_found');
      expect(classifyError(error, slackService.readAnswer).type).toBe('permanent');
    }
  });

  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it.each([
    ['a body with neither text nor blocks', 'no_text', {}],
    ['blank text and no blocks', 'no_text', { text: '  ' }],
    ['a section over 3000 characters', 'invalid_blocks', { text: 'x', blocks: [section('x'.repeat(3001))] }],
    ['a header over 150 characters', 'invalid_blocks', { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }],
    ['a mrkdwn header', 'invalid_blocks', { text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }],
    ['a text object of type markdown', 'invalid_blocks', { text: 'x', blocks: [{ type: 'section', text: { type: 'markdown', text: 'x' } }] }],
    ['an empty section text', 'invalid_blocks', { text: 'x', blocks: [section('')] }],
    ['emoji on a mrkdwn text object', 'invalid_blocks', { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x', emoji: true } }] }],
    ['51 blocks', 'invalid_blocks', { text: 'x', blocks: Array.from({ length: 51 }, () => section('x')) }],
    ['50 blocks plus one in an attachment', 'invalid_blocks', { text: 'x', blocks: Array.from({ length: 50 }, () => section('x')), attachments: [{ color: '#000000', blocks: [section('x')] }] }],
    ['11 fields in a section', 'invalid_blocks', { text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }],
    ['a field over 2000 characters', 'invalid_blocks', { text: 'x', blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2001) }] }] }],
    ['a context with 11 elements', 'invalid_blocks', { text: 'x', blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }],
    ['an unknown block type', 'invalid_blocks', { text: 'x', blocks: [{ type: 'banner', text: { type: 'plain_text', text: 'x' } }] }],
    ['blocks that are not an array', 'invalid_blocks_format', { text: 'x', blocks: { type: 'divider' } }],
    ['an attachment colour that is not a colour', 'invalid_attachments', { text: 'x', attachments: [{ color: 'crimson', blocks: [section('x')] }] }],
    ['text that is not a string', 'invalid_payload', { text: 42 }],
  ])('When the imitation receives %s, then it answers 400 %s', async (_what, answer, message) => {
    const before = imitation.accepted.length;

    const error = await failureOf(rawRequest(JSON.stringify(message)));

    expect({ status: error.status, body: error.body }).toEqual({ status: 400, body: answer });
    expect(classifyError(error, slackService.readAnswer).type).toBe('permanent');
    expect(imitation.accepted).toHaveLength(before);
    expect(imitation.rejected.at(-1)).toMatchObject({ status: 400, body: answer });
  });

  it('When the body is not JSON, is not sent as JSON, or goes to no webhook, then the imitation refuses it as Slack does', async () => {
    expect((await failureOf(rawRequest('{"text": "x"'))).body).toBe('invalid_payload');
    expect((await failureOf(rawRequest('payload={"text":"x"}', 'application/x-www-form-urlencoded'))).body).toBe('invalid_payload');
    const unknown = await failureOf(rawRequest('{"text":"x"}', 'application/json', '/services/nope'));
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: 'no_service' });
  });

  it('When mrkdwn holds unescaped control characters, then Slack would post it, and the imitation records why it would render wrongly', async () => {
    await delivery.send(rawRequest(JSON.stringify({ text: 'a & b <!channel> <not a link> c > d' })), 5000);

    expect(imitation.accepted.at(-1)!.warnings).toEqual([
      'text: unescaped &',
      'text: unescaped >',
      'text: <!channel> notifies everyone',
      'text: <not a link> is not a link, mention or date',
    ]);
  });
});

import { createHttpDelivery, type HttpDelivery, type OutboundRequest } from '@herald/core/delivery';
import { capturingLogger } from '../../../test/support/log-capture';
import { Harness, jobSpec, targetsFrom, testEnv } from '../../../test/support/herald';
import { startTargetServer } from '../../../test/support/target-server';
import { reportWarmUp, warmUpDelivery } from '../src/delivery-warm-up';

/** A real HttpDelivery that also records what it was asked to send and how each send ended. */
function recording(http: HttpDelivery): { http: HttpDelivery; sent: { request: OutboundRequest; outcome: string }[] } {
  const sent: { request: OutboundRequest; outcome: string }[] = [];
  return {
    sent,
    http: {
      async send(request, timeoutMs, extraHeaders, checkSuccess) {
        try {
          const result = await http.send(request, timeoutMs, extraHeaders, checkSuccess);
          sent.push({ request, outcome: `HTTP ${result.httpStatus}` });
          return result;
        } catch (error) {
          sent.push({ request, outcome: (error as Error).message });
          throw error;
        }
      },
      close: () => http.close(),
    },
  };
}

describe('warming up delivery', () => {
  it('When a lane warms up, then it sends one request, answered, to a server of its own on 127.0.0.1, and reports no failure', async () => {
    const real = createHttpDelivery();
    const { http, sent } = recording(real);
    let failure: Error | undefined;
    try {
      failure = await warmUpDelivery(http);
    } finally {
      await real.close();
    }
    expect(sent).toEqual([{ request: expect.objectContaining({ method: 'POST', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/herald-warm-up$/) }), outcome: 'HTTP 200' }]);
    expect(failure).toBeUndefined();
  });

  it('When the warm-up cannot send, then it resolves to why instead of rejecting, and the lane only warns: it starts all the same', async () => {
    const real = createHttpDelivery();
    await real.close();
    const failure = await warmUpDelivery(real);
    expect(failure).toBeInstanceOf(Error);

    const { logger, entries } = capturingLogger();
    reportWarmUp(failure, logger);
    reportWarmUp(undefined, logger);
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', message: 'could not warm up delivery; the first delivery starts cold' })]);
  });

  describe('in a running worker', () => {
    const harness = new Harness();
    afterAll(() => harness.closeAll());

    it("When a worker starts, then the urgent lane's warm-up never reaches a target, and its first critical alert is delivered once", async () => {
      const target = await startTargetServer();
      harness.defer(() => target.close());
      const env = testEnv();
      await harness.worker(env, targetsFrom(`targets:\n  - { name: sink, type: webhook, url: "${target.url}" }\n`));
      // The worker is started once its lane fetches, which is after the lane has warmed up.
      expect(target.requests).toEqual([]);

      const critical = jobSpec('high', 'first-critical');
      await harness.queues(env).add([critical]);
      const delivered = await target.waitForJob(critical.jobId);
      expect(delivered.body.alert.fingerprint).toBe('first-critical');
      expect(target.requests).toHaveLength(1);
    });
  });
});

import { randomBytes } from 'node:crypto';
import { alertmanagerPayload } from './herald';

export interface LoadStats {
  /** Fingerprints of alerts answered 202: the ones Herald promised to deliver. */
  readonly acknowledged: Set<string>;
  /** How many answers of each status (and 'transport' for connection failures). */
  readonly answers: Record<string, number>;
  /** 5xx answers other than 503: never acceptable. */
  readonly badAnswers: { status: number; body: string }[];
  /** 503 answers missing a Retry-After header. */
  unhelpful503s: number;
}

export interface AlertLoad {
  /** Stops sending new alerts, lets batches still being retried finish, and reports. */
  stop(): Promise<LoadStats>;
}

/**
 * Sends Alertmanager webhooks (one alert each, unique fingerprint) at a fixed rate, the way
 * Alertmanager does: a batch answered 503 or lost to a transport error is sent again
 * after a pause until it is answered, so nothing Herald refused is ever counted as
 * acknowledged, and everything it acknowledged must arrive. `url` is read per send, so a
 * test may move the API.
 */
export function startAlertLoad(options: { url: () => string; perSecond: number; headers?: Record<string, string>; retryPauseMs?: number; severity?: string }): AlertLoad {
  const stats: LoadStats = { acknowledged: new Set(), answers: {}, badAnswers: [], unhelpful503s: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const count = (key: string) => (stats.answers[key] = (stats.answers[key] ?? 0) + 1);

  const sendUntilAnswered = async (fingerprint: string) => {
    const body = JSON.stringify(alertmanagerPayload([{ labels: { alertname: 'Load', severity: options.severity ?? 'warning', run: fingerprint }, fingerprint }]));
    // Alertmanager gives up eventually too; this bound keeps a broken test from spinning.
    for (let attempt = 0; attempt < 400; attempt++) {
      try {
        const response = await fetch(`${options.url()}/api/v1/webhooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        count(String(response.status));
        if (response.status === 202) {
          stats.acknowledged.add(fingerprint);
          return;
        }
        if (response.status === 503) {
          if (!response.headers.get('retry-after')) stats.unhelpful503s += 1;
        } else if (response.status >= 500) {
          stats.badAnswers.push({ status: response.status, body: text.slice(0, 300) });
        } else {
          return;
        }
      } catch {
        count('transport');
      }
      await new Promise((resolve) => setTimeout(resolve, options.retryPauseMs ?? 250));
    }
  };

  const timer = setInterval(() => {
    if (stopping) return;
    const sending = sendUntilAnswered(randomBytes(8).toString('hex')).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }, 1000 / options.perSecond);

  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return stats;
    },
  };
}

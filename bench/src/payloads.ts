import { randomBytes } from 'node:crypto';

/**
 * What a fingerprint's first hex digit says about the alert, so the sink can count a
 * backlog apart from the alerts measured through it without a lookup per request.
 */
export const TAG = { load: '1', backlog: 'b', critical: 'c', warmup: 'f' } as const;
export type Tag = (typeof TAG)[keyof typeof TAG];

const RUN_ID = randomBytes(3).toString('hex').slice(0, 5);
let counter = 0;

/** A fingerprint unique in this bench run: 16 hex digits, like Alertmanager's. */
export function nextFingerprint(tag: Tag): string {
  counter += 1;
  return `${tag}${RUN_ID}${counter.toString(16).padStart(10, '0')}`;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

const ALERTNAMES = ['HighLatency', 'PodCrashLooping', 'DiskFillingUp', 'TargetDown', 'HighErrorRate'];

/** One alert as Alertmanager 0.27 sends it, about 300 bytes of JSON. */
export function alertmanagerAlert(fingerprint: string, severity: Severity, index = 0): AlertmanagerAlert {
  const alertname = ALERTNAMES[index % ALERTNAMES.length]!;
  const instance = `10.0.${index % 7}.${(index * 37) % 250}:9100`;
  return {
    status: 'firing',
    labels: { alertname, severity, instance, job: 'node' },
    annotations: { summary: `${instance} is down` },
    // Prometheus stamps alerts in milliseconds, so that is what Alertmanager passes on.
    startsAt: '2026-11-22T10:00:00.123Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    fingerprint,
  };
}

/** An Alertmanager v4 webhook body carrying these alerts. */
export function webhookBody(alerts: readonly AlertmanagerAlert[]): string {
  const first = alerts[0]!;
  return JSON.stringify({
    receiver: 'herald',
    status: 'firing',
    alerts,
    groupLabels: { alertname: first.labels.alertname },
    commonLabels: { alertname: first.labels.alertname, severity: first.labels.severity, job: 'node' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: `{}:{alertname="${first.labels.alertname}"}`,
    truncatedAlerts: 0,
  });
}

const PLACEHOLDER = (i: number) => `@@fp${String(i).padStart(2, '0')}@@`;

/**
 * Bodies of `size` alerts with fresh fingerprints, built by splicing the fingerprints into
 * a template: the load generator shares the machine with what it measures, so it must
 * stay cheap.
 */
export class WebhookTemplate {
  private readonly parts: string[];
  readonly bytes: number;

  constructor(
    readonly size: number,
    severity: Severity,
    private readonly tag: Tag,
  ) {
    const alerts = Array.from({ length: size }, (_, i) => alertmanagerAlert(PLACEHOLDER(i), severity, i));
    // Alertmanager groups by alertname, so one notification carries one alertname.
    for (const alert of alerts) {
      alert.labels.alertname = alerts[0]!.labels.alertname!;
    }
    const text = webhookBody(alerts);
    this.parts = text.split(/@@fp\d\d@@/);
    this.bytes = text.length - size * (PLACEHOLDER(0).length - 16);
  }

  /** A body and the fingerprints it carries. */
  next(): { body: string; fingerprints: string[] } {
    const fingerprints: string[] = [];
    let body = this.parts[0]!;
    for (let i = 0; i < this.size; i++) {
      const fingerprint = nextFingerprint(this.tag);
      fingerprints.push(fingerprint);
      body += fingerprint + this.parts[i + 1]!;
    }
    return { body, fingerprints };
  }
}

import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { PRIORITIES, type Priority } from '../priority';
import { BulkAddScript, type JobToAdd } from './bulk-add-script';
import { BulkAdder } from './bulk-adder';
import { firingIndexKey } from './firing-job-index';
import { priorityOfJobId, queueName, type DeliveryReceipt, type JobSpec, type PublishJobData } from './publish-job';

export type PublishJob = Job<PublishJobData, DeliveryReceipt, string>;
type PublishQueue = Queue<PublishJobData, DeliveryReceipt, string>;
type PublishJobToAdd = JobToAdd<PublishJobData, string>;

/** What became of one JobSpec: queued, or dropped as a repeat of a job already queued. */
export type AddOutcome = { readonly queued: true; readonly jobId: string } | { readonly queued: false; readonly existingJobId: string };

/** The job states Herald reports, as BullMQ names them. */
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobCounts = Record<JobState, number>;

/**
 * The three publish queues (high, medium, low) on one shared Redis connection: the
 * producer side of Herald. Workers consume the same queues by name.
 */
export class PublishingQueues {
  private readonly queues: Record<Priority, PublishQueue>;
  private readonly adders: Record<Priority, BulkAdder<PublishJobToAdd, string>>;

  constructor(
    connection: Redis,
    private readonly prefix: string,
  ) {
    this.queues = Object.fromEntries(
      PRIORITIES.map((priority) => {
        const queue = new Queue<PublishJobData, DeliveryReceipt, string>(queueName(priority), { connection, prefix });
        // Each queue repeats its connection's errors, which the connection's owner already
        // logs once (logConnectionState). Without a listener BullMQ prints every one raw
        // to stderr, outside the JSON log, on each reconnection attempt.
        queue.on('error', () => undefined);
        return [priority, queue];
      }),
    ) as PublishingQueues['queues'];
    this.adders = Object.fromEntries(
      PRIORITIES.map((priority) => {
        const script = new BulkAddScript(this.queues[priority], connection);
        return [priority, new BulkAdder<PublishJobToAdd, string>((jobs) => script.addBulk(jobs))];
      }),
    ) as PublishingQueues['adders'];
  }

  queue(priority: Priority): PublishQueue {
    return this.queues[priority];
  }

  /**
   * Adds jobs with one bulk add per priority, all priorities in parallel, gathered with
   * those of concurrent callers (see BulkAdder). Deduplication answers a repeat with the
   * id of the job it repeats, which is how a repeat is told from a new job. Each firing job
   * queued is recorded in the FiringJobIndex by the same Redis call (BulkAddScript).
   */
  async add(specs: readonly JobSpec[]): Promise<AddOutcome[]> {
    const byPriority = new Map<Priority, JobSpec[]>();
    for (const spec of specs) {
      const group = byPriority.get(spec.data.priority);
      if (group) group.push(spec);
      else byPriority.set(spec.data.priority, [spec]);
    }
    const added = new Map<JobSpec, AddOutcome>();
    await Promise.all(
      [...byPriority].map(async ([priority, group]) => {
        const ids = await this.adders[priority].add(group.map((spec) => this.jobToAdd(spec)));
        ids.forEach((id, i) => {
          const spec = group[i]!;
          added.set(spec, id === spec.jobId ? { queued: true, jobId: spec.jobId } : { queued: false, existingJobId: id });
        });
      }),
    );
    return specs.map((spec) => added.get(spec)!);
  }

  /** A spec as BulkAddScript takes it, with the FiringJobIndex entry to write for a trigger. */
  private jobToAdd({ data, opts }: JobSpec): PublishJobToAdd {
    const { alert, target } = data;
    const firing = alert.status === 'firing' ? { indexKey: firingIndexKey(this.prefix, target, alert.fingerprint), startsAtMs: Date.parse(alert.startsAt) } : undefined;
    return { name: target, data, opts, firing };
  }

  /** A job by id, from the queue its id names; undefined when unknown or removed. */
  async getJob(jobId: string): Promise<PublishJob | undefined> {
    const priority = priorityOfJobId(jobId);
    if (!priority) return undefined;
    return (await this.queues[priority].getJob(jobId)) ?? undefined;
  }

  /**
   * A job with its state, read state first: a job finishing in between then shows its
   * newer fields with a state read again, never a finished state with stale fields.
   */
  async getJobWithState(jobId: string): Promise<{ job: PublishJob; state: string } | undefined> {
    const priority = priorityOfJobId(jobId);
    if (!priority) return undefined;
    const queue = this.queues[priority];
    let state: string = await queue.getJobState(jobId);
    if (state === 'unknown') return undefined;
    const job = await queue.getJob(jobId);
    if (!job) return undefined;
    if (job.finishedOn && state !== 'completed' && state !== 'failed') state = await job.getState();
    return { job, state };
  }

  /** Counts per state for each priority. */
  async counts(): Promise<Record<Priority, JobCounts>> {
    const entries = await Promise.all(
      PRIORITIES.map(async (priority) => [priority, (await this.queues[priority].getJobCounts(...JOB_STATES)) as JobCounts] as const),
    );
    return Object.fromEntries(entries) as Record<Priority, JobCounts>;
  }

  async close(): Promise<void> {
    await Promise.all(PRIORITIES.map((priority) => this.queues[priority].close()));
  }
}

interface Waiting<J, A> {
  readonly jobs: readonly J[];
  readonly resolve: (added: A[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Once this many jobs wait, the batch goes at once instead of at the end of the turn. */
export const MAX_BATCH_JOBS = 1000;

/**
 * BulkAdder gathers the jobs that callers add during one turn of the event loop and sends
 * them to Redis in one `addBulk` (PublishingQueues: a BulkAddScript), then hands every
 * caller its own jobs.
 *
 * Under load an API process parses many requests per turn. Adding each request's jobs on its
 * own costs a transaction, a socket write and a reply parse per request; gathered, they cost
 * one per turn, for every request that arrived in it. A lone request waits only until the
 * end of its turn (`setImmediate`), so latency at low load is unchanged.
 *
 * Jobs keep their order: BullMQ adds a batch in order, so a repeat later in the batch is still
 * deduplicated against a job earlier in it. A failed `addBulk` fails every caller in the batch,
 * and each of them answers as it would had its own `addBulk` failed.
 */
export class BulkAdder<J, A> {
  private waiting: Waiting<J, A>[] = [];
  private waitingJobs = 0;
  private scheduled: NodeJS.Immediate | undefined;

  /** `addBulk` is a queue's own, e.g. `(jobs) => queue.addBulk(jobs)`. */
  constructor(private readonly addBulk: (jobs: J[]) => Promise<A[]>) {}

  add(jobs: readonly J[]): Promise<A[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ jobs, resolve, reject });
      this.waitingJobs += jobs.length;
      if (this.waitingJobs >= MAX_BATCH_JOBS) this.flush();
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.waitingJobs = 0;
    if (batch.length === 0) return;

    const jobs = batch.length === 1 ? batch[0]!.jobs : batch.flatMap((waiting) => waiting.jobs);
    this.addBulk(jobs as J[]).then(
      (added) => {
        let offset = 0;
        for (const waiting of batch) {
          waiting.resolve(added.slice(offset, offset + waiting.jobs.length));
          offset += waiting.jobs.length;
        }
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}

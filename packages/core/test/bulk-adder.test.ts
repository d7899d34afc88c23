import { BulkAdder, MAX_BATCH_JOBS } from '@herald/core';

/** An addBulk that records each batch it is handed and answers each job with its name. */
function recordingAddBulk(fail?: Error) {
  const batches: string[][] = [];
  const addBulk = async (jobs: string[]) => {
    batches.push([...jobs]);
    if (fail) throw fail;
    return jobs.map((job) => `added:${job}`);
  };
  return { batches, addBulk };
}

describe('BulkAdder', () => {
  it('When callers add jobs in the same turn, then one addBulk carries them all and each caller gets back its own, in order', async () => {
    const { batches, addBulk } = recordingAddBulk();
    const adder = new BulkAdder(addBulk);

    const answers = await Promise.all([adder.add(['a1', 'a2']), adder.add(['b1']), adder.add(['c1', 'c2', 'c3'])]);

    expect(batches).toEqual([['a1', 'a2', 'b1', 'c1', 'c2', 'c3']]);
    expect(answers).toEqual([['added:a1', 'added:a2'], ['added:b1'], ['added:c1', 'added:c2', 'added:c3']]);
  });

  it('When callers add jobs in different turns, then each turn has its own addBulk', async () => {
    const { batches, addBulk } = recordingAddBulk();
    const adder = new BulkAdder(addBulk);

    await adder.add(['first']);
    await adder.add(['second']);

    expect(batches).toEqual([['first'], ['second']]);
  });

  it('When the addBulk fails, then every caller of that batch gets the error', async () => {
    const { addBulk } = recordingAddBulk(new Error('redis is down'));
    const adder = new BulkAdder(addBulk);

    const outcomes = await Promise.allSettled([adder.add(['a']), adder.add(['b'])]);

    expect(outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message)).toEqual(['redis is down', 'redis is down']);
  });

  it(`When a turn gathers ${MAX_BATCH_JOBS} jobs, then they are sent at once and the rest wait for the next batch`, async () => {
    const { batches, addBulk } = recordingAddBulk();
    const adder = new BulkAdder(addBulk);
    const big = Array.from({ length: MAX_BATCH_JOBS }, (_, i) => `j${i}`);

    const answers = await Promise.all([adder.add(big), adder.add(['late'])]);

    expect(batches.map((batch) => batch.length)).toEqual([MAX_BATCH_JOBS, 1]);
    expect(answers[1]).toEqual(['added:late']);
  });
});

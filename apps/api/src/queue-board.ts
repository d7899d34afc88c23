import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import { PRIORITIES, type PublishingQueues } from '@herald/core';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** bull-board's UI over the three publish queues, for operators to inspect and retry jobs. */
export function queueBoard(queues: PublishingQueues): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: PRIORITIES.map((priority) => new BullMQAdapter(queues.queue(priority))), serverAdapter: adapter });
  return adapter.getRouter() as Router;
}

import type { Request, RequestHandler, Response, NextFunction } from 'express';
import { PRIORITIES, type PublishingQueues } from '@herald/core';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board's UI over the three publish queues, for operators to inspect and retry jobs.
 * It is built on its first request: its modules add about 7 MB to the RSS of every API
 * process, and most never serve the page.
 */
export function queueBoard(queues: PublishingQueues): RequestHandler {
  let board: RequestHandler | undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    board ??= buildBoard(queues);
    board(req, res, next);
  };
}

function buildBoard(queues: PublishingQueues): RequestHandler {
  const { createBullBoard } = require('@bull-board/api') as typeof import('@bull-board/api');
  const { BullMQAdapter } = require('@bull-board/api/bullMQAdapter') as typeof import('@bull-board/api/bullMQAdapter');
  const { ExpressAdapter } = require('@bull-board/express') as typeof import('@bull-board/express');
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: PRIORITIES.map((priority) => new BullMQAdapter(queues.queue(priority))), serverAdapter: adapter });
  return adapter.getRouter() as RequestHandler;
}

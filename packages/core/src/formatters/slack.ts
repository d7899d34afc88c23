import type { SlackTarget } from '../config/target-config';
import { FormatError, type TargetService } from './formatter';

// Placeholder while the Slack formatter is written this session; not to be committed as done.
export const slackService: TargetService<SlackTarget> = {
  format: () => {
    throw new FormatError('the slack formatter is not written yet');
  },
};

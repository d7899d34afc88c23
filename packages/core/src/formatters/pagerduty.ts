import type { PagerDutyTarget } from '../config/target-config';
import { FormatError, type TargetService } from './formatter';

// Placeholder while the PagerDuty formatter is written this session; not to be committed as done.
export const pagerdutyService: TargetService<PagerDutyTarget> = {
  format: () => {
    throw new FormatError('the pagerduty formatter is not written yet');
  },
};

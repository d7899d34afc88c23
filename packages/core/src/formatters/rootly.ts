import type { RootlyTarget } from '../config/target-config';
import { FormatError, type TargetService } from './formatter';

// Placeholder while the Rootly formatter is written this session; not to be committed as done.
export const rootlyService: TargetService<RootlyTarget> = {
  format: () => {
    throw new FormatError('the rootly formatter is not written yet');
  },
};

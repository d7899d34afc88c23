import type { TeamsTarget } from '../config/target-config';
import { FormatError, type TargetService } from './formatter';

// Placeholder while the Teams formatter is written this session; not to be committed as done.
export const teamsService: TargetService<TeamsTarget> = {
  format: () => {
    throw new FormatError('the teams formatter is not written yet');
  },
};

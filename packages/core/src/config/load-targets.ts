import type { HeraldConfig } from './env-config';
import type { TargetConfig } from './target-config';
import { loadTargetsFile } from './targets-file';

/** The configured targets; none (metrics-only mode) when no targets file is set. */
export function loadTargets(config: HeraldConfig, env: NodeJS.ProcessEnv): TargetConfig[] {
  return config.targetsFile ? loadTargetsFile(config.targetsFile, env) : [];
}

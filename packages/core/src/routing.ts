import type { Labels } from './alert/alert';
import type { TargetConfig } from './config/target-config';
import type { Mode } from './observability/metrics';

/**
 * A Router decides which targets get an alert, from each target's `match` (equality),
 * `matchRe` (anchored regular expressions) and `exclude` (equality that rules out).
 * A target with none of them gets every alert.
 */
export interface Router {
  readonly targets: readonly TargetConfig[];
  /** The targets whose matchers accept these labels, in configuration order. */
  route(labels: Labels): TargetConfig[];
  /** A configured target by name. */
  get(name: string): TargetConfig | undefined;
}

interface CompiledTarget {
  target: TargetConfig;
  match: [string, string][];
  matchRe: [string, RegExp][];
  exclude: [string, string][];
}

export function createRouter(targets: readonly TargetConfig[]): Router {
  const compiled: CompiledTarget[] = targets.map((target) => ({
    target,
    match: Object.entries(target.match ?? {}),
    // Anchored like Alertmanager's =~ so "prod" does not match "preprod".
    matchRe: Object.entries(target.matchRe ?? {}).map(([name, source]) => [name, new RegExp(`^(?:${source})$`)]),
    exclude: Object.entries(target.exclude ?? {}),
  }));
  const byName = new Map(targets.map((target) => [target.name, target]));

  return {
    targets,
    route(labels) {
      const matched: TargetConfig[] = [];
      for (const entry of compiled) {
        if (accepts(entry, labels)) matched.push(entry.target);
      }
      return matched;
    },
    get: (name) => byName.get(name),
  };
}

function accepts({ match, matchRe, exclude }: CompiledTarget, labels: Labels): boolean {
  for (const [name, value] of match) if (labels[name] !== value) return false;
  // A missing label is the empty string, as in Alertmanager, so `.*` matches it.
  for (const [name, pattern] of matchRe) if (!pattern.test(labels[name] ?? '')) return false;
  for (const [name, value] of exclude) if (labels[name] === value) return false;
  return true;
}

/** Publishing when any target is configured; otherwise metrics-only. */
export function modeOf(router: Router): Mode {
  return router.targets.length > 0 ? 'publishing' : 'metrics-only';
}

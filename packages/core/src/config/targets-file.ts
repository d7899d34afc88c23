import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors';
import { DEFAULT_RATE_LIMITS, TARGET_TYPES, targetSchemas, type TargetConfig, type TargetType } from './target-config';

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Reads a targets file: YAML with a top-level `targets:` list, `${VAR}` expanded from
 * the environment. Throws a ConfigError naming the target and the field at fault.
 */
export function loadTargetsFile(path: string, env: NodeJS.ProcessEnv): TargetConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`TARGETS_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseTargets(text, env, path);
}

/** Parses the text of a targets file; `source` names it in error messages. */
export function parseTargets(text: string, env: NodeJS.ProcessEnv, source = 'targets file'): TargetConfig[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(`${source}: invalid YAML: ${document.errors[0]!.message}`);
  }
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || Array.isArray(root) || !('targets' in root)) {
    throw new ConfigError(`${source}: expected a top-level "targets:" list`);
  }
  const list = (root as { targets: unknown }).targets;
  if (list === null) return [];
  if (!Array.isArray(list)) throw new ConfigError(`${source}: "targets" must be a list`);

  const targets = list.map((raw, index) => parseTarget(raw, index, env, source));
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) throw new ConfigError(`${source}: target name "${target.name}" is used twice`);
    seen.add(target.name);
  }
  return targets;
}

function parseTarget(raw: unknown, index: number, env: NodeJS.ProcessEnv, source: string): TargetConfig {
  const where = describeTarget(raw, index);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: ${where} must be a mapping`);
  }
  const type = (raw as { type?: unknown }).type;
  if (!TARGET_TYPES.includes(type as TargetType)) {
    throw new ConfigError(`${source}: ${where}.type must be one of ${TARGET_TYPES.join(', ')} (got ${JSON.stringify(type)})`);
  }
  const secretFields: string[] = [];
  const expanded = expandVariables(raw, env, [], secretFields, `${source}: ${where}`);
  const { value, error } = targetSchemas[type as TargetType].validate(expanded, { abortEarly: true, convert: true });
  if (error) {
    const detail = error.details[0]!;
    throw new ConfigError(`${source}: ${where}.${detail.path.join('.')}: ${detail.message}`);
  }
  const rateLimit = value.rateLimit ?? DEFAULT_RATE_LIMITS[type as TargetType];
  return { ...value, ...(rateLimit ? { rateLimit } : {}), secretFields } as TargetConfig;
}

function describeTarget(raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `targets[${index}] (${name})` : `targets[${index}]`;
}

/** Replaces `${VAR}` in every string, recording which fields held a secret. */
function expandVariables(value: unknown, env: NodeJS.ProcessEnv, path: string[], secretFields: string[], where: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    secretFields.push(path.join('.'));
    return value.replace(VARIABLE, (_match, name: string) => {
      const resolved = env[name];
      if (resolved === undefined || resolved === '') {
        throw new ConfigError(`${where}.${path.join('.')}: environment variable ${name} is not set`);
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expandVariables(item, env, [...path, String(i)], secretFields, where));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandVariables(item, env, [...path, key], secretFields, where)]),
    );
  }
  return value;
}

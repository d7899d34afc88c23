import type { Alert } from '../alert/alert';

/**
 * Title and text templates: plain text with `{{ expression }}` placeholders, where an
 * expression is `labels.NAME`, `annotations.NAME`, `status`, `fingerprint`, `startsAt`,
 * `endsAt` or `generatorURL`. A missing label or annotation renders as nothing. No logic,
 * no filters: templates are checked when the targets file loads, and cannot fail later.
 */
export type Template = (alert: Alert) => string;

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const EXPRESSION = /^(?:(labels|annotations)\.([a-zA-Z_][a-zA-Z0-9_]*)|(status|fingerprint|startsAt|endsAt|generatorURL))$/;

type Part = string | ((alert: Alert) => string);

/** Compiles a template, or throws an Error saying which placeholder is wrong. */
export function parseTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    parts.push(source.slice(last, match.index));
    parts.push(compileExpression(match[1]!));
    last = match.index! + match[0].length;
  }
  const rest = source.slice(last);
  if (rest.includes('{{') || rest.includes('}}')) throw new Error(`has an unclosed placeholder near "${rest.slice(0, 40)}"`);
  parts.push(rest);
  return (alert) => parts.map((part) => (typeof part === 'string' ? part : part(alert))).join('');
}

function compileExpression(expression: string): (alert: Alert) => string {
  const match = EXPRESSION.exec(expression);
  if (!match) {
    throw new Error(`uses "{{ ${expression} }}": placeholders are labels.NAME, annotations.NAME, status, fingerprint, startsAt, endsAt or generatorURL`);
  }
  const [, map, key, field] = match;
  if (map) return (alert) => alert[map as 'labels' | 'annotations'][key!] ?? '';
  return (alert) => alert[field as 'status' | 'fingerprint' | 'startsAt' | 'endsAt' | 'generatorURL'] ?? '';
}

const cache = new Map<string, Template>();

/** Renders a template that passed config validation; compiled once per distinct source. */
export function renderTemplate(source: string, alert: Alert): string {
  let template = cache.get(source);
  if (!template) {
    template = parseTemplate(source);
    cache.set(source, template);
  }
  return template(alert);
}

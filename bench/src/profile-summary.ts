import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `BENCH_NODE_ARGS`): busy time
 * split into start-up (everything under a `require`, the main module's own top level
 * included) and the rest, the work done from the event loop, and the rest's self time
 * per package and per function. Usage:
 *
 *   node bench/dist/profile-summary.js /tmp/prof/*.cpuprofile
 *
 * Main-thread time only: V8's GC helper threads are not in a profile (see /proc/<pid>/task).
 * Code with a source map beside it (`<file>.map`: the worker's bundle, tsc's output) is
 * counted where it was written, so a bundled worker's time is still split by package.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Rows per table; `PROFILE_TOP` shows more, to find one package's functions further down. */
const TOP = Number(process.env.PROFILE_TOP) || 15;

const sourceMaps = new Map<string, { readonly map: SourceMap; readonly dir: string } | null>();

/** The source map beside a script, if it has one; read once per script. */
function sourceMapOf(url: string): { readonly map: SourceMap; readonly dir: string } | null {
  let found = sourceMaps.get(url);
  if (found === undefined) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    const mapFile = `${path}.map`;
    found = path.startsWith('/') && existsSync(mapFile) ? { map: new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))), dir: dirname(mapFile) } : null;
    sourceMaps.set(url, found);
  }
  return found;
}

/** Where a frame's code was written: through its script's source map when there is one. */
function originalOf(frame: CallFrame): CallFrame {
  const sourceMap = frame.url ? sourceMapOf(frame.url) : null;
  const entry = sourceMap?.map.findEntry(frame.lineNumber, frame.columnNumber);
  if (!sourceMap || !entry || !('originalSource' in entry)) return frame;
  return { functionName: frame.functionName, url: resolve(sourceMap.dir, entry.originalSource), lineNumber: entry.originalLine, columnNumber: entry.originalColumn };
}

/** Who a frame's code belongs to: an npm package, a workspace, node's own modules, or V8. */
function ownerOf({ url, functionName }: CallFrame): string {
  const packages = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (packages) return packages.at(-1)!.slice('node_modules/'.length);
  const workspace = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('node:')) return url;
  // Frames without a script are V8's or native code: the garbage collector, socket writes.
  return url || functionName || '(native)';
}

function summarise(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const underRequire = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      if (byId.get(at)!.callFrame.functionName === 'Module._load') return true;
    }
    return false;
  };

  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + profile.timeDeltas[i]!));
  let startup = 0;
  let steady = 0;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const frame = originalOf(byId.get(id)!.callFrame);
    if (frame.functionName === '(idle)') continue;
    if (underRequire(id)) {
      startup += micros;
      continue;
    }
    steady += micros;
    const owner = ownerOf(frame);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros);
    const name = frame.url ? `${owner} ${frame.functionName || '(anonymous)'}:${frame.lineNumber + 1}` : owner;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }

  const ms = (micros: number) => `${(micros / 1000).toFixed(0).padStart(7)} ms`;
  const share = (micros: number) => `${((100 * micros) / steady).toFixed(1).padStart(5)} %`;
  const top = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, micros]) => `  ${ms(micros)} ${share(micros)}  ${name}`);
  return [
    `${basename(file)}: busy ${ms(startup + steady).trim()}, of which start-up (under require) ${ms(startup).trim()}`,
    'after start-up, self time by package:',
    ...top(byOwner),
    'after start-up, self time by function:',
    ...top(byFunction),
  ].join('\n');
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/dist/profile-summary.js <file.cpuprofile>...');
  process.exit(2);
}
console.log(files.map(summarise).join('\n\n'));

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadEnvConfig, parseTargets, type HeraldConfig } from '@herald/core';
import { ROLE_ENTRIES, ROLE_NODE_FLAGS } from '@herald/devstack/role-entries';

/**
 * No Docker engine runs where the tests run, so the container files are checked by
 * construction: docker-compose.yml, the Dockerfile and the Alertmanager example are read
 * and held against the code and the files they name.
 */

const ROOT = resolve(__dirname, '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface PackageJson {
  name: string;
  workspaces?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

type EnvironmentValue = string | number | boolean | null;
type VolumeEntry = string | { type?: string; source?: string; target?: string; read_only?: boolean };

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, EnvironmentValue> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  expose?: (string | number)[];
  volumes?: VolumeEntry[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  container_name?: string;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const rootPackage = JSON.parse(read('package.json')) as PackageJson;
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no "${name}" service`);
  return found;
}

/** Compose's own interpolation, as on a host that sets none of the variables: defaults apply. */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, _name, operator: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    return operator === ':-' || operator === '-' ? (fallback ?? '') : '';
  });
}

function environmentOf(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  const entries: [string, string][] = Array.isArray(environment)
    ? environment.map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value)]));
}

function commandOf(name: string): string[] {
  const command = service(name).command;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}

function healthcheckOf(name: string): string {
  const test = service(name).healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

function dependsOn(name: string): Record<string, string> {
  const dependencies = service(name).depends_on ?? {};
  if (Array.isArray(dependencies)) return Object.fromEntries(dependencies.map((dependency) => [dependency, 'service_started']));
  return Object.fromEntries(Object.entries(dependencies).map(([dependency, { condition }]) => [dependency, condition ?? 'service_started']));
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  bind: boolean;
}

function mountsOf(name: string): Mount[] {
  return (service(name).volumes ?? []).map((entry) => {
    if (typeof entry === 'string') {
      const [source = '', target = '', mode = ''] = interpolate(entry).split(':');
      return { source, target, readOnly: mode.split(',').includes('ro'), bind: source.startsWith('.') || source.startsWith('/') };
    }
    return { source: entry.source ?? '', target: entry.target ?? '', readOnly: entry.read_only === true, bind: entry.type === 'bind' };
  });
}

/** The container-side port of each `ports:` entry ("127.0.0.1:8080:8080", "8080", long syntax). */
function publishedContainerPorts(name: string): string[] {
  return (service(name).ports ?? []).map((entry) => {
    if (typeof entry === 'object') return String(entry.target);
    const text = interpolate(String(entry));
    return (text.split(':').pop() ?? '').replace(/\/(tcp|udp)$/, '');
  });
}

/**
 * `npm run X` → the compiled file its root script runs, the `node` flags it passes first, and
 * the source file it is compiled from. A bundle (`dist/bundle/main.js`) comes from its
 * entry's source (`src/main.ts`).
 */
function scriptFiles(script: string): { compiled: string; flags: string[]; source: string; workspace: string } {
  const body = rootPackage.scripts?.[script];
  if (body === undefined) throw new Error(`root package.json has no "${script}" script`);
  const [, flags = '', compiled] = /^node((?:\s+--\S+)*)\s+(\S+\.js)$/.exec(body) ?? [];
  const parts = compiled === undefined ? null : /^(.+)\/dist\/(?:bundle\/)?(.+)\.js$/.exec(compiled);
  if (!compiled || !parts) throw new Error(`script "${script}" (${body}) does not run a compiled workspace file`);
  return { compiled, flags: flags.split(/\s+/).filter(Boolean), source: `${parts[1]}/src/${parts[2]}.ts`, workspace: parts[1]! };
}

function npmRunScript(command: string[]): string {
  expect(command.slice(0, 2)).toEqual(['npm', 'run']);
  expect(command).toHaveLength(3);
  return command[2]!;
}

/** Every source file of a workspace, concatenated: enough to ask whether it serves a path. */
function sourceText(workspace: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(read(path));
    }
  };
  walk(`${workspace}/src`);
  return files.join('\n');
}

/** The variables the configuration schema accepts: the keys of its `Joi.object({ … })`, read from source. */
const CONFIG_VARIABLES = ((): string[] => {
  const schema = /^const schema = Joi\.object\(\{\n([\s\S]*?)^\}\)/m.exec(read('packages/core/src/config/env-config.ts'))?.[1] ?? '';
  return [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]!);
})();

/** `${VAR}` names in the values (not the comments) of a targets file: the targets loader reads them. */
function targetFileVariables(text: string): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') for (const match of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) found.add(match[1]!);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(parse(text));
  return [...found];
}

/** The mount that puts TARGETS_FILE into a role's container. */
function targetsMount(name: string): Mount | undefined {
  const file = environmentOf(name).TARGETS_FILE;
  return mountsOf(name).find((mount) => mount.target === file);
}

function mountedTargetsText(name: string): string {
  const mount = targetsMount(name);
  if (!mount) throw new Error(`${name}: TARGETS_FILE names no mounted file`);
  return read(mount.source);
}

function configOf(name: string): HeraldConfig {
  return loadEnvConfig(environmentOf(name), '/nonexistent');
}

interface DockerInstruction {
  keyword: string;
  args: string;
}

interface DockerStage {
  image: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

function dockerStages(text: string): DockerStage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: from?.[1] ?? '', name: from?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

function copiesOf(stage: DockerStage): Copy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map(({ args }) => {
      const tokens = args.split(/\s+/);
      const from = tokens.find((token) => token.startsWith('--from='))?.slice('--from='.length);
      const paths = tokens.filter((token) => !token.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
    });
}

const runs = (stage: DockerStage, pattern: RegExp): boolean =>
  stage.instructions.some((instruction) => instruction.keyword === 'RUN' && pattern.test(instruction.args));

/** Workspaces a set of workspace directories loads at run time: themselves and their @herald dependencies. */
function withWorkspaceDependencies(start: string[]): string[] {
  const byName = new Map<string, string>();
  for (const dir of rootPackage.workspaces ?? []) byName.set((JSON.parse(read(`${dir}/package.json`)) as PackageJson).name, dir);
  const found = new Set<string>();
  const visit = (dir: string): void => {
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(read(`${dir}/package.json`)) as PackageJson;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      const workspace = byName.get(dependency);
      if (workspace) visit(workspace);
    }
  };
  start.forEach(visit);
  return [...found].sort();
}

const HERALD_ROLES = ['migrate', 'api', 'worker'];
const ALWAYS_ON = ['redis', 'postgres', 'migrate', 'api', 'worker', 'prometheus', 'grafana', 'alertmanager'];

describe('docker-compose.yml', () => {
  it('When the stack is brought up, then it runs redis, postgres, migrate, api, worker, prometheus, grafana and alertmanager', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(ALWAYS_ON));
  });

  it('When Redis starts, then it keeps an append-only file fsynced every second and never evicts a job', () => {
    const command = commandOf('redis').join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--appendfsync everysec\b/);
    expect(command).not.toMatch(/--maxmemory-policy (?!noeviction)/);
    expect(mountsOf('redis').some((mount) => !mount.bind && mount.target === '/data')).toBe(true);
  });

  it('When the API and the workers start, then they wait for a healthy Redis and PostgreSQL and a completed migration', () => {
    for (const role of ['api', 'worker']) {
      expect(dependsOn(role)).toEqual(
        expect.objectContaining({ redis: 'service_healthy', postgres: 'service_healthy', migrate: 'service_completed_successfully' }),
      );
    }
    expect(dependsOn('migrate')).toEqual({ postgres: 'service_healthy' });
    expect(service('migrate').restart).toBe('no');
  });

  it('When a service keeps running, then it has a healthcheck; only the one-shot migration has none', () => {
    const withoutHealthcheck = Object.keys(services).filter((name) => healthcheckOf(name) === '' || service(name).healthcheck?.disable === true);
    expect(withoutHealthcheck).toEqual(['migrate']);
    // Every condition a service waits on is one the awaited service can reach.
    for (const name of Object.keys(services)) {
      for (const [dependency, condition] of Object.entries(dependsOn(name))) {
        expect(Object.keys(services)).toContain(dependency);
        if (condition === 'service_healthy') expect(healthcheckOf(dependency)).not.toBe('');
      }
    }
  });

  it('When a service built from this repository runs `npm run X`, then X is a root script running a compiled file whose source exists', () => {
    const built = Object.keys(services).filter((name) => service(name).build !== undefined);
    expect(built.sort()).toEqual([...HERALD_ROLES].sort());
    for (const name of built) {
      const { source } = scriptFiles(npmRunScript(commandOf(name)));
      expect({ service: name, source, exists: existsSync(join(ROOT, source)) }).toEqual({ service: name, source, exists: true });
    }
  });

  it('When `npm start`, the tests and the bench spawn a role, then they run the file its `npm run` script runs, with the same node flags', () => {
    for (const role of ['api', 'worker'] as const) {
      const { compiled, flags } = scriptFiles(role);
      expect({ role, entry: compiled, flags }).toEqual({ role, entry: ROLE_ENTRIES[role], flags: ROLE_NODE_FLAGS[role] });
    }
  });

  it('When api, worker and migrate get environment variables, then each one is read by the code', () => {
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(['PORT', 'REDIS_URL', 'DATABASE_URL', 'TARGETS_FILE', 'WORKER_CONCURRENCY', 'WORKER_METRICS_PORT', 'LOG_LEVEL']));
    const migrateReads = [...read('migrations/src/migrate.ts').matchAll(/process\.env\.([A-Z_]+)/g)].map((match) => match[1]!);
    expect(migrateReads).toContain('DATABASE_URL');

    const unknown: string[] = [];
    for (const role of ['api', 'worker']) {
      const accepted = new Set([...CONFIG_VARIABLES, ...targetFileVariables(mountedTargetsText(role))]);
      for (const name of Object.keys(environmentOf(role))) if (!accepted.has(name)) unknown.push(`${role}: ${name}`);
    }
    for (const name of Object.keys(environmentOf('migrate'))) if (!migrateReads.includes(name)) unknown.push(`migrate: ${name}`);
    expect(unknown).toEqual([]);
  });

  it('When the api and worker read the compose environment and their mounted targets file, then the real config code accepts both', () => {
    for (const role of ['api', 'worker']) {
      const env = environmentOf(role);
      const config = configOf(role);
      const missing = targetFileVariables(mountedTargetsText(role)).filter((name) => !env[name]);
      expect({ role, missing }).toEqual({ role, missing: [] });
      const targets = parseTargets(mountedTargetsText(role), env, `${role} targets`);
      expect(targets.length).toBeGreaterThan(0);
      // A target addressed by a bare host name is a service of this stack.
      for (const target of targets) {
        const host = 'url' in target ? new URL(target.url).hostname : '';
        if (host !== '' && !host.includes('.')) expect(Object.keys(services)).toContain(host);
      }
      expect(new URL(config.redisUrl).hostname).toBe('redis');
      expect(targetsMount(role)?.readOnly).toBe(true);
    }
    // The roles and the migration reach the database the postgres service creates.
    const postgres = environmentOf('postgres');
    for (const role of HERALD_ROLES) {
      const url = new URL(environmentOf(role).DATABASE_URL ?? '');
      expect({ role, host: url.hostname, user: url.username, password: url.password, database: url.pathname.slice(1) }).toEqual({
        role,
        host: 'postgres',
        user: postgres.POSTGRES_USER,
        password: postgres.POSTGRES_PASSWORD,
        database: postgres.POSTGRES_DB,
      });
    }
    expect(healthcheckOf('postgres')).toContain(`-U ${postgres.POSTGRES_USER}`);
  });

  it('When workers are scaled with --scale worker=N, then none binds a host port and each exposes the metrics port its healthcheck probes', () => {
    const worker = service('worker');
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.container_name).toBeUndefined();
    const metricsPort = String(configOf('worker').worker.metricsPort);
    expect((worker.expose ?? []).map(String)).toContain(metricsPort);
    expect(healthcheckOf('worker')).toContain(`127.0.0.1:${metricsPort}/healthz`);
    expect(sourceText('apps/worker')).toContain("'/healthz'");
  });

  it('When a worker runs as the unprivileged node user, then its nice ulimit lets the main thread return to nice 0 after urgent alerts', () => {
    // Without CAP_SYS_NICE, RLIMIT_NICE decides how far a process may raise its priority: down to nice 20 − limit.
    const runtime = dockerStages(read('Dockerfile')).at(-1)!;
    expect(runtime.instructions.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args).toBe('node');
    const nice = service('worker').ulimits?.nice;
    const soft = typeof nice === 'object' ? nice.soft : (nice ?? 0);
    expect(20 - soft).toBeLessThanOrEqual(0);
  });

  it('When the API is published, then its port mapping and readiness healthcheck use the port it listens on', () => {
    const port = String(configOf('api').port);
    expect(publishedContainerPorts('api')).toContain(port);
    expect(healthcheckOf('api')).toContain(`127.0.0.1:${port}/readyz`);
    expect(sourceText('apps/api')).toContain("'/readyz'");
  });

  it('When a service mounts a host path, then the path exists in the repository and is mounted read-only', () => {
    const problems: string[] = [];
    const namedVolumes = Object.keys(compose.volumes ?? {});
    for (const name of Object.keys(services)) {
      for (const mount of mountsOf(name)) {
        if (!mount.bind) {
          if (!namedVolumes.includes(mount.source)) problems.push(`${name}: volume ${mount.source} is not declared`);
          continue;
        }
        if (!existsSync(join(ROOT, mount.source))) problems.push(`${name}: ${mount.source} does not exist`);
        if (!mount.readOnly) problems.push(`${name}: ${mount.source} is mounted read-write`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the monitoring services of the stack', () => {
  /** The host path behind a container path, through the service's bind mounts. */
  function hostPath(name: string, containerPath: string): string {
    for (const mount of mountsOf(name)) {
      if (!mount.bind) continue;
      if (containerPath === mount.target) return mount.source;
      if (containerPath.startsWith(`${mount.target}/`)) return `${mount.source}${containerPath.slice(mount.target.length)}`;
    }
    throw new Error(`${name}: nothing mounted at ${containerPath}`);
  }

  interface PrometheusConfig {
    rule_files?: string[];
    alerting?: { alertmanagers?: { static_configs?: { targets?: string[] }[] }[] };
    scrape_configs?: { job_name: string; static_configs?: { targets?: string[] }[]; dns_sd_configs?: { names?: string[]; port?: number }[] }[];
  }

  it('When Prometheus scrapes the stack, then it reaches the API, every worker replica and Alertmanager at the ports they serve', () => {
    const configFlag = commandOf('prometheus').find((argument) => argument.startsWith('--config.file='));
    const configPath = hostPath('prometheus', (configFlag ?? '').slice('--config.file='.length));
    const config = parse(read(configPath)) as PrometheusConfig;
    const scrapes = config.scrape_configs ?? [];
    const staticTargets = scrapes.flatMap((scrape) => (scrape.static_configs ?? []).flatMap((group) => group.targets ?? []));
    expect(staticTargets).toContain(`api:${configOf('api').port}`);
    // Docker's DNS answers one A record per replica: a static `worker:port` would see only one.
    const workerDiscovery = scrapes.flatMap((scrape) => scrape.dns_sd_configs ?? []).find((sd) => sd.names?.includes('worker'));
    expect(workerDiscovery?.port).toBe(configOf('worker').worker.metricsPort);
    const alertmanagers = (config.alerting?.alertmanagers ?? []).flatMap((am) => (am.static_configs ?? []).flatMap((group) => group.targets ?? []));
    expect(alertmanagers).toEqual(expect.arrayContaining([expect.stringMatching(/^alertmanager:\d+$/)]));
    for (const target of alertmanagers) expect(healthcheckOf('alertmanager')).toContain(`:${target.split(':')[1]}/`);
    const configDir = configPath.replace(/\/[^/]+$/, '');
    for (const rules of config.rule_files ?? []) expect(existsSync(join(ROOT, configDir, rules))).toBe(true);
  });

  interface DashboardProvisioning {
    providers?: { options?: { path?: string } }[];
  }

  it('When Grafana starts, then its provisioning loads the mounted dashboards', () => {
    const provisioning = hostPath('grafana', '/etc/grafana/provisioning');
    const dashboardsDir = join(ROOT, provisioning, 'dashboards');
    const providerFiles = readdirSync(dashboardsDir).filter((file) => /\.ya?ml$/.test(file));
    const paths = providerFiles.flatMap((file) => ((parse(readFileSync(join(dashboardsDir, file), 'utf8')) as DashboardProvisioning).providers ?? []).map((provider) => provider.options?.path ?? ''));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      const dashboards = join(ROOT, hostPath('grafana', path));
      expect(readdirSync(dashboards).some((file) => file.endsWith('.json'))).toBe(true);
    }
  });
});

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const runtime = stages.at(-1)!;
  const stageNamed = (name: string | undefined): DockerStage | undefined => stages.find((stage) => stage.name === name);
  const roleScripts = ['api', 'worker', 'migrate'];
  const runtimeWorkspaces = withWorkspaceDependencies(roleScripts.map((script) => scriptFiles(script).workspace));

  it('When the image is built, then every stage starts from node:20-bookworm-slim and every local file it copies exists', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toBe('node:20-bookworm-slim');
    const missing = stages
      .flatMap(copiesOf)
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => copy.sources)
      .filter((source) => !existsSync(join(ROOT, source)));
    expect(missing).toEqual([]);
  });

  it('When dependencies are installed, then every workspace manifest is copied before `npm ci`, which runs no install scripts', () => {
    const manifests = ['package.json', 'package-lock.json', ...(rootPackage.workspaces ?? []).map((dir) => `${dir}/package.json`)];
    for (const stage of stages.filter((candidate) => runs(candidate, /\bnpm ci\b/))) {
      const ciAt = stage.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args));
      const copiedBefore = copiesOf({ ...stage, instructions: stage.instructions.slice(0, ciAt) }).flatMap((copy) => copy.sources);
      expect(copiedBefore).toEqual(expect.arrayContaining(manifests));
      expect(stage.instructions[ciAt]!.args).toContain('--ignore-scripts');
    }
    expect(stages.some((stage) => runs(stage, /\bnpm ci\b/) && runs(stage, /\bnpm run build\b/))).toBe(true);
  });

  it('When the build runs, then every project the root tsconfig references has its tsconfig and sources copied before it', () => {
    // `tsc -b` builds the root's references; one left out of the COPY lines fails only in a real image build.
    const references = (JSON.parse(read('tsconfig.json')) as { references: { path: string }[] }).references.map((reference) => reference.path);
    const builder = stages.find((stage) => runs(stage, /\bnpm run build\b/))!;
    const buildAt = builder.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm run build\b/.test(instruction.args));
    const copiedBefore = copiesOf({ ...builder, instructions: builder.instructions.slice(0, buildAt) }).flatMap((copy) => copy.sources.map((source) => source.replace(/\/$/, '')));
    const needed = ['tsconfig.json', 'tsconfig.base.json', ...references.flatMap((project) => {
      const { include = [] } = JSON.parse(read(`${project}/tsconfig.json`)) as { include?: string[] };
      return [`${project}/tsconfig.json`, ...include.map((dir) => `${project}/${dir}`)];
    })];
    expect(needed.filter((path) => !copiedBefore.includes(path))).toEqual([]);
  });

  it('When the build runs, then every script file `npm run build` runs with node (the worker\'s bundler) is copied before it', () => {
    const scripts = [...(rootPackage.scripts?.build ?? '').matchAll(/\bnode\s+(\S+)/g)].map((match) => match[1]!);
    expect(scripts).toContain('apps/worker/scripts/bundle.mjs');
    const builder = stages.find((stage) => runs(stage, /\bnpm run build\b/))!;
    const buildAt = builder.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm run build\b/.test(instruction.args));
    const copiedBefore = copiesOf({ ...builder, instructions: builder.instructions.slice(0, buildAt) }).flatMap((copy) => copy.sources.map((source) => source.replace(/\/$/, '')));
    const copied = (file: string): boolean => copiedBefore.some((source) => file === source || file.startsWith(`${source}/`));
    expect(scripts.filter((file) => !copied(file))).toEqual([]);
  });

  it("When dependencies are patched (patches/), then the build stage applies the patches after `npm ci`, and the runtime stage takes each patched package from it", () => {
    const patched = readdirSync(join(ROOT, 'patches')).map((file) => /^(.+)\+[^+]+\.patch$/.exec(file)?.[1]?.replace(/\+/g, '/'));
    expect(patched).toContain('ioredis');
    const builder = stages.find((stage) => runs(stage, /\bnpm run build\b/))!;
    const patchAt = builder.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bpatch-package\b/.test(instruction.args));
    const ciAt = builder.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args));
    const buildAt = builder.instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm run build\b/.test(instruction.args));
    // patch-package runs after npm ci: in the same RUN, after it, or in a later one; and before the build.
    const sameRun = patchAt === ciAt && /\bnpm ci\b[^]*\bpatch-package\b/.test(builder.instructions[ciAt]!.args);
    expect({ appliedAfterInstall: sameRun || patchAt > ciAt, beforeBuild: patchAt >= 0 && patchAt < buildAt }).toEqual({ appliedAfterInstall: true, beforeBuild: true });
    const copiedBefore = copiesOf({ ...builder, instructions: builder.instructions.slice(0, patchAt) }).flatMap((copy) => copy.sources.map((source) => source.replace(/\/$/, '')));
    expect(copiedBefore).toContain('patches');
    const fromBuilder = copiesOf(runtime)
      .filter((copy) => copy.from === builder.name)
      .flatMap((copy) => copy.sources.map((source) => source.replace(/^\/app\//, '').replace(/\/$/, '')));
    expect(patched.filter((name) => !fromBuilder.includes(`node_modules/${name}`))).toEqual([]);
  });

  it('When the runtime stage is assembled, then it holds the compiled output and production dependencies of every workspace the roles load', () => {
    expect(runtimeWorkspaces).toEqual(expect.arrayContaining(['apps/api', 'apps/worker', 'migrations', 'packages/core']));
    const copies = copiesOf(runtime);
    const strip = (path: string): string => path.replace(/^\/app\//, '').replace(/\/$/, '');
    for (const workspace of runtimeWorkspaces) {
      const dist = copies.find((copy) => copy.from !== undefined && copy.sources.some((source) => strip(source) === `${workspace}/dist`));
      expect({ workspace, copiesDist: dist !== undefined }).toEqual({ workspace, copiesDist: true });
      expect(runs(stageNamed(dist?.from)!, /\bnpm run build\b/)).toBe(true);
    }
    // node_modules and the manifests come from a stage that installed production dependencies only.
    const dependencies = copies.find((copy) => copy.sources.some((source) => ['/app', '/app/', '/app/node_modules'].includes(source)));
    const dependencyStage = stageNamed(dependencies?.from);
    expect(dependencyStage).toBeDefined();
    expect(runs(dependencyStage!, /\bnpm (ci|prune)\b.*--omit=dev\b/)).toBe(true);
    const manifestSources = [...copiesOf(dependencyStage!), ...copies].flatMap((copy) => copy.sources.map(strip));
    expect(manifestSources).toEqual(expect.arrayContaining(['package.json', ...runtimeWorkspaces.map((workspace) => `${workspace}/package.json`)]));
  });

  it('When a container starts without a command, then it runs as node in production mode and starts a role whose script exists', () => {
    const last = (keyword: string): string | undefined => runtime.instructions.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
    expect(last('USER')).toBe('node');
    expect(runtime.instructions.some((instruction) => instruction.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(instruction.args))).toBe(true);
    const command = JSON.parse(last('CMD') ?? 'null') as string[];
    const { workspace, source } = scriptFiles(npmRunScript(command));
    expect(runtimeWorkspaces).toContain(workspace);
    expect(existsSync(join(ROOT, source))).toBe(true);
    const exposed = runtime.instructions.filter((instruction) => instruction.keyword === 'EXPOSE').flatMap((instruction) => instruction.args.split(/\s+/));
    expect(exposed).toEqual(expect.arrayContaining([String(configOf('api').port), String(configOf('worker').worker.metricsPort)]));
  });

  it('When the build context is sent, then .dockerignore keeps local node_modules, dist and build state out', () => {
    const patterns = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/^(\*\*\/|\/)/, ''))
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['node_modules', 'dist', '*.tsbuildinfo', '.git', '.data']));
  });
});

describe('deploy/alertmanager.yml', () => {
  interface AlertmanagerConfig {
    route?: { receiver?: string; group_by?: string[] };
    receivers?: { name: string; webhook_configs?: { url?: string; send_resolved?: boolean; max_alerts?: number }[] }[];
  }

  it('When Alertmanager notifies, then its receiver posts every alert and resolution to the webhook path the API serves', () => {
    const config = parse(read('deploy/alertmanager.yml')) as AlertmanagerConfig;
    expect(config.route?.group_by).toEqual(expect.arrayContaining(['alertname', 'service']));
    const receiver = config.receivers?.find((candidate) => candidate.name === config.route?.receiver);
    const webhook = receiver?.webhook_configs?.[0];
    expect(webhook).toEqual(expect.objectContaining({ send_resolved: true, max_alerts: 0 }));
    const url = new URL(webhook?.url ?? '');
    expect(url.hostname).toBe('api');
    expect(url.port).toBe(String(configOf('api').port));
    expect(url.pathname).toBe('/api/v1/webhooks/alertmanager');
    expect(sourceText('apps/api')).toContain(`'${url.pathname}'`);
    expect(mountsOf('alertmanager')).toContainEqual(
      expect.objectContaining({ source: './deploy/alertmanager.yml', target: '/etc/alertmanager/alertmanager.yml', readOnly: true }),
    );
  });
});

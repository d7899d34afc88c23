import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SUMMARY = join(ROOT, 'bench/dist/profile-summary.js');

describe('profile-summary', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-prof-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('When a process loads a package and then works in it, then loading counts as start-up and the work under the package', () => {
    // A real profile of a real process: yaml is loaded (start-up), then, from the event loop
    // as a server's work would run, parses for 400 ms.
    const script = join(dir, 'work.js');
    writeFileSync(
      script,
      `const { parse } = require(${JSON.stringify(require.resolve('yaml', { paths: [ROOT] }))});
       setImmediate(() => {
         const end = Date.now() + 400;
         while (Date.now() < end) parse('a: [1, 2, {b: c}]\\nd: "e"\\n');
       });`,
    );
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, script]);
    const [profile] = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));

    const output = execFileSync(process.execPath, [SUMMARY, join(dir, profile!)], { encoding: 'utf8' });

    const startupMs = Number(/start-up \(under require\) (\d+) ms/.exec(output)?.[1]);
    expect(startupMs).toBeGreaterThan(0);
    const packages = output.slice(output.indexOf('by package:'), output.indexOf('by function:'));
    const yamlShare = Number(/([\d.]+) %\s+yaml$/m.exec(packages)?.[1]);
    expect(yamlShare).toBeGreaterThan(30);
  });

  it('When no file is named, then it prints its usage and exits 2', () => {
    expect(() => execFileSync(process.execPath, [SUMMARY], { stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 2 }));
  });
});

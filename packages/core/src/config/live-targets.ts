import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { coerceError } from '../errors';
import type { Logger } from '../observability/logger';
import { createRouter, type Router } from '../routing';
import type { TargetConfig } from './target-config';
import { loadTargetsFile } from './targets-file';

/** Editors write a file in several steps; one reload after they settle is enough. */
const SETTLE_MS = 150;

export interface LiveTargetsOptions {
  /** The targets file; undefined when there is none (metrics-only mode, nothing to reload). */
  readonly file: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Called after every successful reload with the new router. */
  readonly onChange?: (router: Router) => void;
}

/**
 * LiveTargets holds a process's current targets and re-reads the targets file when it
 * changes on disk or the process gets SIGHUP, without a restart. A file that does not
 * load keeps the running targets, and the log says exactly what is wrong with it.
 */
export class LiveTargets {
  private current: Router;
  private watcher: FSWatcher | undefined;
  private settle: NodeJS.Timeout | undefined;
  private readonly onSignal = () => this.reload('SIGHUP');

  constructor(
    initial: readonly TargetConfig[],
    private readonly options: LiveTargetsOptions,
  ) {
    this.current = createRouter(initial);
  }

  get router(): Router {
    return this.current;
  }

  /** Re-reads the file; resolves true when the new targets took effect. */
  reload(reason: string): boolean {
    const { file, env, logger } = this.options;
    if (!file) {
      logger.warn('no targets file to reload', { reason });
      return false;
    }
    let targets: TargetConfig[];
    try {
      targets = loadTargetsFile(file, env);
    } catch (error) {
      logger.error('targets file rejected; the running targets stay in effect', { reason, file, error: coerceError(error).message });
      return false;
    }
    const before = new Set(this.current.targets.map((t) => t.name));
    const after = new Set(targets.map((t) => t.name));
    this.current = createRouter(targets);
    logger.info('targets reloaded', {
      reason,
      targets: [...after],
      added: [...after].filter((name) => !before.has(name)),
      removed: [...before].filter((name) => !after.has(name)),
    });
    this.options.onChange?.(this.current);
    return true;
  }

  /** Reloads on SIGHUP and whenever the file changes; returns the function that stops it. */
  watch(): () => void {
    process.on('SIGHUP', this.onSignal);
    const { file } = this.options;
    if (file) {
      // Watch the directory, not the file: editors and config managers replace the file,
      // which would silently end a watch on the old one.
      this.watcher = watch(dirname(file), (_event, name) => {
        if (name !== null && name !== basename(file)) return;
        clearTimeout(this.settle);
        this.settle = setTimeout(() => this.reload('file changed'), SETTLE_MS);
      });
      this.watcher.on('error', (error) => this.options.logger.warn('cannot watch the targets file; SIGHUP still reloads it', { error: error.message }));
    }
    return () => {
      process.off('SIGHUP', this.onSignal);
      clearTimeout(this.settle);
      this.watcher?.close();
    };
  }
}

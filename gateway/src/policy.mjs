// The policy file: loaded once at start (an invalid policy stops the gateway with located errors),
// then watched and re-read on SIGHUP. A valid edit replaces the engine's policy and keeps its
// counters; an invalid edit is logged with its located errors and the previous policy stays.
import { createHash } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { PolicyEngine, PolicyError } from 'toolgate';

import { logLine } from './log.mjs';

/** `file:line:col: pointer: message` lines (the CLI's format), one per problem. */
export function locatedErrors(file, errors) {
  return errors.map((x) => {
    const help = x.help ? ` (${x.help})` : '';
    return `${file}:${x.line ?? '?'}:${x.column ?? '?'}: ${x.pointer || '(root)'}: ${x.message}${help}`;
  });
}

export function digest(text) {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The policy and the engine deciding with it. `onchange` runs after every applied reload. */
export class PolicyHolder {
  /** @throws {PolicyError} when the file is not a valid policy; any fs error when it cannot be read. */
  constructor(file) {
    this.file = resolve(file);
    this.shown = file;
    const text = readFileSync(this.file, 'utf8');
    this.engine = new PolicyEngine(text);
    this.digest = digest(text);
    this.listeners = new Set();
    this.watcher = null;
  }

  onchange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the file. Returns `applied`, `unchanged` or `invalid` (the old policy stays). */
  reload() {
    let text;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      logLine(`policy reload: cannot read ${this.shown}: ${e.message}; the previous policy stays`);
      return 'invalid';
    }
    const next = digest(text);
    if (next === this.digest) return 'unchanged';
    const report = PolicyEngine.validate(text);
    if (!report.valid) {
      logLine(`policy reload: ${this.shown} is invalid; the previous policy (${this.digest}) stays`);
      for (const line of locatedErrors(this.shown, report.errors)) logLine(line);
      return 'invalid';
    }
    try {
      this.engine.setPolicy(text);
    } catch (e) {
      // Any error (a typed PolicyError, or anything else the engine throws) keeps the old policy.
      if (e instanceof PolicyError) for (const line of locatedErrors(this.shown, e.errors)) logLine(line);
      else logLine(`policy reload: ${this.shown}: ${e?.message ?? e}; the previous policy (${this.digest}) stays`);
      return 'invalid';
    }
    this.digest = next;
    logLine(`policy reloaded: ${this.shown} (${next}); counters kept`);
    for (const listener of this.listeners) listener();
    return 'applied';
  }

  /**
   * Re-reads the file on SIGHUP and, with `files`, on any change in its directory: editors replace
   * files by renaming, and a Kubernetes ConfigMap swaps a `..data` symlink the file points through
   * (the event names `..data`, never the file). An unchanged file is recognised by its digest.
   */
  watch({ files = true } = {}) {
    this.sighup = () => this.reload();
    process.on('SIGHUP', this.sighup);
    if (!files) return;
    let timer = null;
    const schedule = () => {
      // Coalesce the bursts of events one save produces; a half-written file reads as invalid
      // and is retried by the next event.
      clearTimeout(timer);
      timer = setTimeout(() => this.reload(), 20);
    };
    this.watcher = watch(dirname(this.file), { persistent: false }, () => schedule());
    this.watcher.on('error', (e) => logLine(`policy watch: ${e.message}`));
  }

  close() {
    this.watcher?.close();
    if (this.sighup) process.off('SIGHUP', this.sighup);
  }
}

// Logging: diagnostics to stderr (never stdout: under stdio stdout is the MCP channel), and the two
// JSON Lines files a gateway appends to — the audit log (argument keys, never values) and the
// opt-in `--record` trace (argument values included, replayable by `toolgate simulate`).
import { closeSync, openSync, writeSync } from 'node:fs';

/** One line on stderr, prefixed so it can be told apart from the upstream's own stderr. */
export function logLine(message) {
  process.stderr.write(`toolgate-gateway: ${message}\n`);
}

/**
 * An append-only JSON Lines file. Lines are written synchronously (one `write` each, O_APPEND), so
 * memory stays bounded however slow the disk is and a line is never half-interleaved with another
 * process's. `-` writes to stderr.
 */
export class JsonLines {
  constructor(path) {
    this.path = path;
    // Created readable by its owner only: a record holds argument values, an audit log who called what.
    this.fd = path === '-' ? 2 : openSync(path, 'a', 0o600);
  }

  write(object) {
    const line = `${JSON.stringify(object)}\n`;
    try {
      writeSync(this.fd, line);
    } catch (e) {
      logLine(`cannot write to ${this.path}: ${e.message}`);
    }
  }

  close() {
    if (this.fd !== 2) closeSync(this.fd);
  }
}

/** At most this many argument keys are logged per call, each cut to this many characters. */
export const MAX_ARG_KEYS = 64;
const MAX_KEY_CHARS = 128;

/** A client-chosen string (a tool name, a message quoting it) cut to `max` characters. */
export function capped(text, max = 256) {
  return typeof text === 'string' && text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** A client-chosen string for a log line: JSON-escaped (no control characters, no forged lines), capped. */
export function quoted(text, max = 256) {
  return JSON.stringify(typeof text === 'string' ? capped(text, max) : String(text));
}

/** The top-level keys of a call's arguments, sorted — never a value. */
export function argKeys(args) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return [];
  const keys = Object.keys(args).sort();
  const out = keys.slice(0, MAX_ARG_KEYS).map((k) => (k.length > MAX_KEY_CHARS ? `${k.slice(0, MAX_KEY_CHARS)}…` : k));
  if (keys.length > MAX_ARG_KEYS) out.push(`… ${keys.length - MAX_ARG_KEYS} more`);
  return out;
}

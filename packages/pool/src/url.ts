import { PoolConfigError } from './errors.js';

/** What a `redis://` / `rediss://` URL says. */
export interface ParsedRedisUrl {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  /** True for `rediss://`: connect with TLS (server name = host). */
  tls: boolean;
}

/** Parse a Redis URL; anything unexpected is a `PoolConfigError` on option `url` (password never echoed). */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PoolConfigError(
      'url',
      `"${redactUrl(url)}" is not a URL; use redis://[user:password@]host[:port][/db] or rediss://…`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new PoolConfigError(
      'url',
      `scheme "${parsed.protocol.replace(/:$/, '')}" is not supported; use redis:// or rediss:// (TLS)`,
    );
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) {
    throw new PoolConfigError(
      'url',
      `database "${path}" must be a non-negative integer (/0, /1, …)`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port,
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db,
    tls: parsed.protocol === 'rediss:',
  };
}

/**
 * The URL with its password replaced by `***` (`redis://user:***@host:port/db`), safe for
 * logs, errors and stats. Unparseable input is reduced to what cannot hold a secret.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: drop everything between "://" and the last "@", where a secret would sit.
    return url.replace(/\/\/.*@/, '//***@');
  }
}

/** Replace every occurrence of `secret` in `text` by `***` (for messages from lower layers). */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}

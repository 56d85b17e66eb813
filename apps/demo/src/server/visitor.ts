import { randomBytes } from 'node:crypto';

/** Cookie that identifies a visitor for the per-key unique count. */
export const VISITOR_COOKIE = 'hp_visitor';
const VALID = /^[0-9a-f]{32}$/;

/**
 * The visitor id from the request's `Cookie` header, or a new one with the
 * `Set-Cookie` header to send (one year, HttpOnly, SameSite=Lax).
 */
export function visitorFrom(cookieHeader: string | undefined): { id: string; setCookie?: string } {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === VISITOR_COOKIE && value !== undefined && VALID.test(value)) return { id: value };
  }
  const id = randomBytes(16).toString('hex');
  return {
    id,
    setCookie: `${VISITOR_COOKIE}=${id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`,
  };
}

import { createHash } from 'node:crypto';
import type { RedisCommand } from './client.js';

/**
 * Lua shared by the batch scripts: a part that failed (`err`) gives its error in the first of its
 * `places` in the flat reply `out` (from `start`) and `false` in the others.
 */
const FAILED_PART = `
  if err then
    o = start + 1
    out[o] = { err = err }
    for i = 2, places do o = o + 1; out[o] = false end
  end
`;

/**
 * The batch script: reads values and counts hits for many keys in one call (all the calls of one
 * turn of the event loop, at most {@link MAX_BATCH_KEYS} keys, all declared in KEYS).
 *
 * ARGV starts with the number of windows W, one TTL (seconds) per window and the atomic flag
 * ('1': mode 'atomic'), then one entry per part (a key's share of the batch): `flags`, `n` (hits
 * to add, 0 = read only), the number of visitors and the visitors, then the leaderboard member if
 * flag 8 is set. Flags: 1 read the value, 2 the counter and its W window keys, 4 the
 * HyperLogLog, 8 the leaderboard, 16 return the distinct visitors. KEYS hold each part's keys in
 * that order.
 *
 * A part's value is read before anything is written, and the counter's INCRBY is its first write,
 * which Redis refuses as a whole: a part whose value or counter is of the wrong type changes
 * nothing, and fails alone while the other parts go on. In atomic mode the window counters, the
 * HyperLogLog and the leaderboard are also checked before the first write, so a part changes all
 * its keys or none. A window key gets its TTL when this write created it.
 *
 * The reply is flat: per part, the value (flag 1), the total and the W window totals (flag 2),
 * the distinct visitors (flag 16), in that order, or a single 1 for a part with none of these
 * (a leaderboard update alone); a part that failed gives its error in the first of its places
 * and `false` in the others.
 */
export const BATCH_SCRIPT: string = `
local W = tonumber(ARGV[1])
local atomic = ARGV[W + 2] == '1'
local a = W + 3
local k = 1
local out = {}
local o = 0
local call = redis.pcall
local function count(key)
  local c = call('GET', key)
  if type(c) == 'table' then return 0, c.err end
  if c and not string.match(c, '^%-?%d+$') then
    return 0, 'ERR hit counter ' .. key .. ' does not hold an integer'
  end
  return tonumber(c) or 0
end
local function fails(r) if type(r) == 'table' then return r.err end end
while a <= #ARGV do
  local flags = tonumber(ARGV[a])
  -- Writes pass the count as the string it arrived as: a Lua number given to a Redis command is
  -- formatted with sprintf first, which costs more than the INCRBY itself.
  local ns = ARGV[a + 1]
  local n = tonumber(ns)
  local visitors = tonumber(ARGV[a + 2])
  local vfrom = a + 3
  a = vfrom + visitors
  local vkey, ckey, hll, board, member
  if flags % 2 == 1 then vkey = KEYS[k]; k = k + 1 end
  local wfrom = k + 1
  if flags % 4 >= 2 then ckey = KEYS[k]; k = k + 1 + W end
  if flags % 8 >= 4 then hll = KEYS[k]; k = k + 1 end
  if flags % 16 >= 8 then board = KEYS[k]; k = k + 1; member = ARGV[a]; a = a + 1 end
  local want = flags >= 16
  local places = 0
  if vkey then places = 1 end
  if ckey then places = places + 1 + W end
  if want then places = places + 1 end
  local start = o
  local err
  if vkey then
    local v = call('GET', vkey)
    err = fails(v)
    o = o + 1; out[o] = v
  end
  local c
  if ckey and not err then
    if n == 0 then
      c, err = count(ckey)
      o = o + 1; out[o] = c
      for i = wfrom, wfrom + W - 1 do
        if err then break end
        c, err = count(KEYS[i])
        o = o + 1; out[o] = c
      end
    elseif atomic then
      for i = wfrom, wfrom + W - 1 do
        c, err = count(KEYS[i])
        if err then break end
      end
    end
  end
  local seen = 0
  local adding = n > 0 and visitors > 0
  -- Counted here only when no PFADD follows (its PFCOUNT answers), or to check the
  -- HyperLogLog before the first write in atomic mode.
  if hll and not err and ((want and not adding) or (atomic and adding)) then
    seen = call('PFCOUNT', hll)
    err = fails(seen)
  end
  if board and atomic and n > 0 and not err then err = fails(call('ZSCORE', board, member)) end
  if n > 0 and not err then
    if ckey then
      c = call('INCRBY', ckey, ns)
      err = fails(c)
      if not err then
        o = o + 1; out[o] = c
        for i = wfrom, wfrom + W - 1 do
          c = call('INCRBY', KEYS[i], ns)
          err = fails(c)
          if err then break end
          if c == n then call('EXPIRE', KEYS[i], ARGV[2 + i - wfrom]) end
          o = o + 1; out[o] = c
        end
      end
    end
    if hll and adding and not err then
      for i = vfrom, vfrom + visitors - 1, 1000 do
        err = fails(call('PFADD', hll, unpack(ARGV, i, math.min(i + 999, vfrom + visitors - 1))))
        if err then break end
      end
      if want and not err then seen = call('PFCOUNT', hll) end
    end
    if board and not err then err = fails(call('ZINCRBY', board, ns, member)) end
  end
  if want and not err then o = o + 1; out[o] = seen end
  if places == 0 then
    places = 1
    if not err then o = o + 1; out[o] = 1 end
  end
${FAILED_PART}end
return out
`;

/**
 * The batch script's fast path, for trackers without windows, uniques or leaderboard: ARGV are
 * the hits to add per part (0 = read only), KEYS per part the key and its counter. A part
 * prefixed with `#` is one whose caller holds the value already (the near cache): its key is
 * left out of KEYS (only the counter is sent), it is not read, and its place in the reply is
 * `false`. Per part the value is read first and the counter's INCRBY is the only write, so a
 * part either counts or fails as a whole. The reply is the same as {@link BATCH_SCRIPT}'s for
 * such parts: per part the value and the total, or the error and `false`.
 */
export const READ_AND_COUNT_SCRIPT = `
local call = redis.pcall
local out = {}
local k = 0
for j = 1, #ARGV do
  local n = ARGV[j]
  local v = false
  if string.byte(n) == 35 then n = string.sub(n, 2) else k = k + 1; v = call('GET', KEYS[k]) end
  k = k + 1
  local counter = KEYS[k]
  local c
  if type(v) == 'table' then
    c = false
  else
    if n == '0' then
      c = call('GET', counter)
      if c == false then
        c = 0
      elseif type(c) ~= 'table' and not string.match(c, '^%-?%d+$') then
        c = { err = 'ERR hit counter ' .. counter .. ' does not hold an integer' }
      end
    else
      c = call('INCRBY', counter, n)
    end
    if type(c) == 'table' then v = c; c = false end
  end
  out[2 * j - 1] = v
  out[2 * j] = c
end
return out
`;

/**
 * The batch script's fast path for counting parts outside atomic mode, when a key's value, counter,
 * windows, HyperLogLog and leaderboard entry share one slot (always on a standalone or Sentinel
 * server): the tracker's features are fixed per call, so each part carries only what varies.
 *
 * ARGV starts with W, one TTL (seconds) per window, then '1' or '0' for uniques and for the
 * leaderboard; then per part `n` (hits to add, above 0; prefixed with `#` when the caller holds
 * the value already, which is then not read and `false` in the reply), the leaderboard member
 * (the key as the caller named it: a client's `keyPrefix` applies to KEYS only), the number of
 * visitors and the visitors. KEYS: the leaderboard first (once, with leaderboard), then per part
 * the key, its counter, the W window keys and the HyperLogLog (uniques).
 *
 * Per part the steps and their order are {@link BATCH_SCRIPT}'s for the same part (value read
 * first, the counter's INCRBY the first write, a PFCOUNT before any write when no visitor is
 * added), and so is the reply: the value, the total, the W window totals and (uniques) the
 * distinct visitors, or the part's error followed by `false`s.
 */
export const COUNT_SCRIPT: string = `
local W = tonumber(ARGV[1])
local uniques = ARGV[W + 2] == '1'
local board = ARGV[W + 3] == '1'
local places = 2 + W
if uniques then places = places + 1 end
local call = redis.pcall
local out = {}
local o = 0
local k = 1
local bkey
if board then bkey = KEYS[1]; k = 2 end
local a = W + 4
while a <= #ARGV do
  local ns = ARGV[a]
  local known = string.byte(ns) == 35
  if known then ns = string.sub(ns, 2) end
  local n = tonumber(ns)
  local member = ARGV[a + 1]
  local vfrom = a + 3
  a = vfrom + tonumber(ARGV[a + 2])
  local key = KEYS[k]
  local ckey = KEYS[k + 1]
  local wfrom = k + 2
  k = wfrom + W
  local hll
  if uniques then hll = KEYS[k]; k = k + 1 end
  local start = o
  local r = false
  if not known then r = call('GET', key) end
  local err = type(r) == 'table' and r.err
  o = o + 1; out[o] = r
  local seen
  if hll and not err and vfrom == a then
    seen = call('PFCOUNT', hll)
    err = type(seen) == 'table' and seen.err
  end
  if not err then
    r = call('INCRBY', ckey, ns)
    err = type(r) == 'table' and r.err
    o = o + 1; out[o] = r
  end
  for i = wfrom, wfrom + W - 1 do
    if err then break end
    r = call('INCRBY', KEYS[i], ns)
    err = type(r) == 'table' and r.err
    if r == n then call('EXPIRE', KEYS[i], ARGV[2 + i - wfrom]) end
    o = o + 1; out[o] = r
  end
  if hll and not err and vfrom < a then
    for i = vfrom, a - 1, 1000 do
      r = call('PFADD', hll, unpack(ARGV, i, math.min(i + 999, a - 1)))
      err = type(r) == 'table' and r.err
      if err then break end
    end
    if not err then seen = call('PFCOUNT', hll) end
  end
  if bkey and not err then
    r = call('ZINCRBY', bkey, ns, member)
    err = type(r) == 'table' and r.err
  end
  if hll and not err then o = o + 1; out[o] = seen end
${FAILED_PART}end
return out
`;

/** Most keys (parts) in one batch script: bounds how long one call keeps Redis busy. */
export const MAX_BATCH_KEYS = 500;

/**
 * The buffered flush script: applies one batch of buffered counts at most once.
 *
 * KEYS[1] holds the sequence number of the last batch this tracker applied in this lane (see
 * `buffer.ts`); KEYS[2..] are the counters. ARGV: the batch's sequence number, the TTL of
 * KEYS[1] in seconds, then operations, each a letter and a KEYS index:
 * `i k n` INCRBY; `w k n ttl` INCRBY + EXPIRE (a window); `p k count visitors...` PFADD;
 * `z k n member` ZINCRBY.
 *
 * A batch whose number is not above the stored one was applied already (a resent or retried
 * copy): nothing is written and the reply is `{0}`. Otherwise the number is stored first, every
 * operation runs with `pcall` (one refused update, say WRONGTYPE, does not stop the others) and
 * the reply is `{1, first error or '', R, the R indexes (1-based) of refused operations...,
 * then per `i` operation the counter's new total (nil if refused)}`: reads that answer from
 * memory start from these totals.
 */
export const FLUSH_SCRIPT = `
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if seq <= last then return {0} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local out = {1, ''}
local refused = {}
local totals = {}
local i = 3
local op = 0
while i <= #ARGV do
  local kind = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  local r
  op = op + 1
  if kind == 'i' then
    r = redis.pcall('INCRBY', key, ARGV[i + 2])
    totals[#totals + 1] = type(r) == 'number' and r
    i = i + 3
  elseif kind == 'w' then
    r = redis.pcall('INCRBY', key, ARGV[i + 2])
    if type(r) ~= 'table' or not r.err then r = redis.pcall('EXPIRE', key, ARGV[i + 3]) end
    i = i + 4
  elseif kind == 'p' then
    local n = tonumber(ARGV[i + 2])
    r = redis.pcall('PFADD', key, unpack(ARGV, i + 3, i + 2 + n))
    i = i + 3 + n
  else
    r = redis.pcall('ZINCRBY', key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  end
  if type(r) == 'table' and r.err then
    if out[2] == '' then out[2] = r.err end
    refused[#refused + 1] = op
  end
end
out[3] = #refused
for j = 1, #refused do out[#out + 1] = refused[j] end
for j = 1, #totals do out[#out + 1] = totals[j] end
return out
`;

function sha1(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

/**
 * The near cache's read on its tracking connection: the value of every key in KEYS, in one
 * command (Redis tracks the declared keys of a script that reads). Per key its value, `nil`, or
 * the error `GET` gives (`WRONGTYPE`): `MGET` (1,000 keys a call, within Lua's stack) answers
 * `nil` for a key of another type, so each `nil` is asked again with `GET`. One `MGET` costs
 * Redis about a quarter less per key than a `GET` each.
 */
export const TRACKED_READ_SCRIPT = `
local out = {}
for from = 1, #KEYS, 1000 do
  local last = math.min(from + 999, #KEYS)
  local values = redis.call('MGET', unpack(KEYS, from, last))
  for i = from, last do
    local value = values[i - from + 1]
    if not value then value = redis.pcall('GET', KEYS[i]) end
    out[i] = value
  end
end
return out
`;

/**
 * One Lua script and whether the server is known to have it: the first call sends `EVAL` (which
 * loads it), later ones `EVALSHA`; a `NOSCRIPT` reply (restart, failover, `SCRIPT FLUSH`) is
 * answered by sending the same call again as `EVAL` (see `send.ts`). One per tracker (and
 * buffer), since what one server has says nothing about another.
 */
export class LuaScript {
  readonly sha: string;
  #loaded = false;

  constructor(readonly source: string) {
    this.sha = sha1(source);
  }

  /** The command that runs the script with `keys` and `argv`, routed by `slot`. */
  command(
    slot: number,
    keys: readonly string[],
    argv: ReadonlyArray<string | number>,
  ): RedisCommand {
    return {
      name: this.#loaded ? 'evalsha' : 'eval',
      args: [this.#loaded ? this.sha : this.source, keys.length, ...keys, ...argv],
      slot,
    };
  }

  /** A call of the script ran: the server has it. */
  markLoaded(): void {
    this.#loaded = true;
  }
}

/** Script bodies by SHA1, to resend an EVALSHA as EVAL after NOSCRIPT. */
export const SCRIPTS: ReadonlyMap<string, string> = new Map(
  [BATCH_SCRIPT, READ_AND_COUNT_SCRIPT, COUNT_SCRIPT, FLUSH_SCRIPT].map((source) => [
    sha1(source),
    source,
  ]),
);

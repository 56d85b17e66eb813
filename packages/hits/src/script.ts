import { createHash } from 'node:crypto';

/**
 * The atomic get-and-count script. KEYS: value key, counter, one key per window, then the
 * HyperLogLog (if uniques) and the leaderboard (if on and in the same script). ARGV: hits to add
 * (0 = read only), 1 to read the value, window count, one TTL per window, uniques flag,
 * leaderboard flag, leaderboard member, visitors...
 *
 * Redis does not roll a script back, so everything that could fail (wrong types, counters that
 * are not integers, a corrupt HyperLogLog) is checked with reads before the first write: the
 * script either changes every key or none.
 */
export const HIT_SCRIPT = `
local n = tonumber(ARGV[1])
local w = tonumber(ARGV[3])
local uniques = ARGV[4 + w] == '1'
local board = ARGV[5 + w] == '1'
local member = ARGV[6 + w]
local value = false
if ARGV[2] == '1' then value = redis.call('GET', KEYS[1]) end
local function count(key)
  local current = redis.call('GET', key)
  if current and not string.match(current, '^%-?%d+$') then
    return redis.error_reply('ERR hit counter ' .. key .. ' does not hold an integer')
  end
  return tonumber(current) or 0
end
local out = { value }
for i = 2, 2 + w do
  local c = count(KEYS[i])
  if type(c) == 'table' then return c end
  out[i] = c
end
local hll = KEYS[3 + w]
local seen = 0
if uniques then seen = redis.call('PFCOUNT', hll) end
if board then redis.call('ZSCORE', KEYS[3 + w + (uniques and 1 or 0)], member) end
if n > 0 then
  out[2] = redis.call('INCRBY', KEYS[2], n)
  for i = 1, w do
    out[2 + i] = redis.call('INCRBY', KEYS[2 + i], n)
    redis.call('EXPIRE', KEYS[2 + i], ARGV[3 + i])
  end
  if uniques and #ARGV >= 7 + w then
    for i = 7 + w, #ARGV, 1000 do redis.call('PFADD', hll, unpack(ARGV, i, math.min(i + 999, #ARGV))) end
    seen = redis.call('PFCOUNT', hll)
  end
  if board then redis.call('ZINCRBY', KEYS[3 + w + (uniques and 1 or 0)], n, member) end
end
if uniques then out[3 + w] = seen end
return out
`;

/** SHA1 of {@link HIT_SCRIPT}, for EVALSHA. */
export const HIT_SCRIPT_SHA: string = createHash('sha1').update(HIT_SCRIPT).digest('hex');

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
 * the reply is `{1, first error or '', indexes (1-based) of refused operations...}`.
 */
export const FLUSH_SCRIPT = `
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if seq <= last then return {0} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local out = {1, ''}
local i = 3
local op = 0
while i <= #ARGV do
  local kind = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  local r
  op = op + 1
  if kind == 'i' then
    r = redis.pcall('INCRBY', key, ARGV[i + 2])
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
    out[#out + 1] = op
  end
end
return out
`;

/** SHA1 of {@link FLUSH_SCRIPT}, for EVALSHA. */
export const FLUSH_SCRIPT_SHA: string = createHash('sha1').update(FLUSH_SCRIPT).digest('hex');

/** Script bodies by SHA1, to resend an EVALSHA as EVAL after NOSCRIPT. */
export const SCRIPTS: ReadonlyMap<string, string> = new Map([
  [HIT_SCRIPT_SHA, HIT_SCRIPT],
  [FLUSH_SCRIPT_SHA, FLUSH_SCRIPT],
]);

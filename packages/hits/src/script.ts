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

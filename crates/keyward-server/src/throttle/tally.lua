-- One tally of authentication throttling in Redis, shared by every node:
-- the arithmetic of throttle::Window and throttle::Backoff.
--
-- KEYS[1]  the tally, a hash: "f" failures, "s" first failure, "l" last
--          failure, "u" locked until (milliseconds since the Unix epoch)
-- ARGV     op ("wait": how long to wait; "fail": count a failure; "try":
--          how long to wait, or else count a failure; "clear": forget
--          it), now, kind ("w" for
--          a window: limit, length; "b" for a backoff: free, window,
--          first, max)
-- Returns  milliseconds to wait, 0 for none

local key = KEYS[1]
local op, now, kind = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local a, b, c, d = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

if op == 'clear' then
  redis.call('DEL', key)
  return 0
end

local f = tonumber(redis.call('HGET', key, 'f'))
local s = tonumber(redis.call('HGET', key, 's'))
local l = tonumber(redis.call('HGET', key, 'l'))
local u = tonumber(redis.call('HGET', key, 'u'))

local function ends()
  if kind == 'w' then return s + b end
  return math.max(l, u) + b
end

if f == nil or s == nil or l == nil or u == nil or now >= ends() then
  f, s, l, u = 0, now, now, now
end

local wait = math.max(u - now, 0)
if op == 'wait' or (op == 'try' and wait > 0) then
  return wait
end

f = f + 1
l = now
if kind == 'w' then
  if f >= a then u = s + b end
else
  local doublings = f - a
  if doublings >= 0 then
    u = now + math.min(c * math.pow(2, math.min(doublings, 40)), d)
  end
end
redis.call('HSET', key, 'f', f, 's', s, 'l', l, 'u', u)
redis.call('PEXPIREAT', key, ends())
if op == 'try' then return 0 end
return math.max(u - now, 0)

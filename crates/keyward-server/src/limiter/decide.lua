-- One verification's decision against a key's rate limits and credits,
-- atomic in Redis: the arithmetic of keyward_core::limit_decision, on the
-- counters of every node.
--
-- KEYS[1]  the key's counters, a hash: "t:<limit name>" theoretical
--          arrival times, "c" credits left, "p" the refill they count
--          from, "g" the generation of the balance they came from
-- ARGV     epoch, cost, n, then n × (name, interval, duration), then "0" for
--          a key without credits, or "1", generation, the stored balance,
--          its refill time, the refill in force ("" for none), its amount
-- Times are milliseconds since keyward's epoch (2026-01-01, `epoch` in
-- Unix milliseconds), read from Redis's clock: every node counts on the
-- same one, whatever the skew between theirs.
-- Returns  {now, verdict (0 pass, 1 rate limited, 2 usage exceeded), wait,
--           credits left or "", their refill time or "", n arrival times}

local key = KEYS[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000 - tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local slack = 1e-6
local function fmt(x) return string.format('%.17g', x) end

local credits, refilled, generation
local c = 4 + 3 * n
if ARGV[c] == '1' then
  generation = ARGV[c + 1]
  if redis.call('HGET', key, 'g') == generation then
    credits = tonumber(redis.call('HGET', key, 'c'))
    refilled = tonumber(redis.call('HGET', key, 'p'))
  end
  if credits == nil or refilled == nil then
    credits = tonumber(ARGV[c + 2])
    refilled = tonumber(ARGV[c + 3])
  end
  local last = tonumber(ARGV[c + 4])
  if last ~= nil and last > refilled then
    credits = tonumber(ARGV[c + 5])
    refilled = last
  end
end

local names, intervals, durations, tats = {}, {}, {}, {}
local longest = 0
for j = 1, n do
  names[j] = 't:' .. ARGV[1 + 3 * j]
  intervals[j] = tonumber(ARGV[2 + 3 * j])
  durations[j] = tonumber(ARGV[3 + 3 * j])
  tats[j] = tonumber(redis.call('HGET', key, names[j])) or now
  if durations[j] > longest then longest = durations[j] end
end

local verdict, wait = 0, 0
if credits ~= nil and cost > credits then
  verdict = 2
else
  for j = 1, n do
    local over = math.max(tats[j], now) + intervals[j] - now - durations[j]
    if over > slack and over > wait then wait = over end
  end
  if wait > 0 then verdict = 1 end
end

if verdict == 0 then
  for j = 1, n do
    tats[j] = math.max(tats[j], now) + intervals[j]
    redis.call('HSET', key, names[j], fmt(tats[j]))
  end
  if credits ~= nil then credits = credits - cost end
end

if credits ~= nil then
  redis.call('HSET', key, 'c', fmt(credits), 'p', fmt(refilled), 'g', generation)
  -- A balance outlives its key's idle weeks; the store holds it after.
  redis.call('PEXPIRE', key, 3888000000)
elseif verdict == 0 and n > 0 then
  -- Past its longest window a limit is whole again: nothing to keep.
  redis.call('PEXPIRE', key, math.ceil(longest) + 1000)
end

local out = {fmt(now), tostring(verdict), fmt(wait), credits and fmt(credits) or '', refilled and fmt(refilled) or ''}
for j = 1, n do out[5 + j] = fmt(tats[j]) end
return out

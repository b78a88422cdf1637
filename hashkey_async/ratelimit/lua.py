"""The Lua scripts ``RedisRateLimiter`` runs: one atomic round trip per acquire attempt.

All keys of one namespace share a Redis Cluster hash tag, so every script touches one slot.
Times are Redis server microseconds (``TIME``), never a host's clock.

``ACQUIRE`` (KEYS: window, queue, alive, ban, suspension, pause, recover, weights,
weight total, ticket; ARGV: token, limit, period µs, weight limit, weight cost, weight
period µs, queue grace µs, mode, recover ms) answers ``{status, value}``:

* ``0``: granted (recorded under ``token``);
* ``1``: wait ``value`` µs and ask again (the caller now holds a place in the FIFO queue);
* ``2`` / ``3``: the bucket is suspended / the IP banned for another ``value`` ms;
* ``4``: a recovery hold is in force for ``value`` ms: grant locally at the fallback share,
  then record that grant with mode ``record``.

Fairness: waiters take queue tickets; a caller is granted only when fewer waiters are ahead
of it than there are free slots, so whoever waited longest goes first. A waiter that stops
asking (its process died) leaves the queue once its grace runs out.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACQUIRE", "HOLD"]

ACQUIRE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local token, mode = ARGV[1], ARGV[8]
local limit, period = tonumber(ARGV[2]), tonumber(ARGV[3])
local wlimit, wcost, wperiod = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local grace, recover = tonumber(ARGV[7]), tonumber(ARGV[9])

local ban = redis.call('PTTL', KEYS[4])
if ban > 0 then return {3, ban} end
local susp = redis.call('PTTL', KEYS[5])
if susp > 0 then return {2, susp} end
if recover > 0 and redis.call('PTTL', KEYS[7]) < recover then
  redis.call('SET', KEYS[7], '1', 'PX', recover)
end
if mode == 'acquire' then
  local hold = redis.call('PTTL', KEYS[7])
  if hold > 0 then return {4, hold} end
end

local used, wused = 0, 0
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
  used = redis.call('ZCARD', KEYS[1])
end
if wlimit > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', now - wperiod)
  if #old > 0 then
    local freed = 0
    for _, m in ipairs(old) do freed = freed + tonumber(string.match(m, ':(%d+)$')) end
    redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now - wperiod)
    redis.call('DECRBY', KEYS[9], freed)
  end
  wused = tonumber(redis.call('GET', KEYS[9]) or '0')
end

local function grant()
  if limit > 0 then
    redis.call('ZADD', KEYS[1], now, token)
    redis.call('PEXPIRE', KEYS[1], math.floor(period / 1000) + 1000)
  end
  if wlimit > 0 then
    redis.call('ZADD', KEYS[8], now, token .. ':' .. wcost)
    redis.call('INCRBY', KEYS[9], wcost)
    redis.call('PEXPIRE', KEYS[8], math.floor(wperiod / 1000) + 1000)
    redis.call('PEXPIRE', KEYS[9], math.floor(wperiod / 1000) + 1000)
  end
end

if mode == 'record' then
  grant()
  return {0, 0}
end

local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
if #dead > 0 then
  redis.call('ZREM', KEYS[2], unpack(dead))
  redis.call('ZREM', KEYS[3], unpack(dead))
end
local ahead = 0
if limit > 0 then
  ahead = redis.call('ZRANK', KEYS[2], token) or redis.call('ZCARD', KEYS[2])
end

local wait = redis.call('PTTL', KEYS[6]) * 1000
if wait <= 0 then
  wait = 0
  if limit > 0 and used + ahead + 1 > limit then
    local need = used + ahead + 1 - limit
    if need <= used then
      local entry = redis.call('ZRANGE', KEYS[1], need - 1, need - 1, 'WITHSCORES')
      wait = tonumber(entry[2]) + period - now
    else
      wait = period
    end
  end
  if wlimit > 0 and wused + wcost > wlimit then
    local entries = redis.call('ZRANGE', KEYS[8], 0, -1, 'WITHSCORES')
    local freed, over = 0, wused + wcost - wlimit
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
      if freed >= over then
        wait = math.max(wait, tonumber(entries[i + 1]) + wperiod - now)
        break
      end
    end
  end
end

if wait <= 0 then
  grant()
  if limit > 0 then
    redis.call('ZREM', KEYS[2], token)
    redis.call('ZREM', KEYS[3], token)
  end
  return {0, 0}
end
wait = math.max(wait, 1000)
if limit > 0 then
  if redis.call('ZSCORE', KEYS[2], token) == false then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[10]), token)
  end
  redis.call('ZADD', KEYS[3], now + wait + grace, token)
  local ttl = math.floor((wait + grace) / 1000) + 1000
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[10], ttl)
end
return {1, math.floor(wait)}
"""

#: Set KEYS[1] for ARGV[1] ms unless it already lasts longer (suspensions, bans, pauses).
HOLD: Final = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 1
"""

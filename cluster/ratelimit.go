package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisRate is llm.SharedRate over Redis: one GCRA bucket per key (a provider endpoint and
// rpm or tpm), so a cluster's members together stay within one budget per provider instead of
// each spending it. Time is the Redis server's (TIME), so members' clocks need not agree. Like
// x/time/rate's ReserveN, a reservation always succeeds and says how long to wait; a caller
// that waits keeps the long-run rate at perMinute and bursts at one minute's worth.
type RedisRate struct {
	rdb    *redis.Client
	prefix string
}

// NewRedisRate connects to the shared store's Redis (its URL, as --redis-url).
func NewRedisRate(url string) (*RedisRate, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("rate limits: bad Redis URL (see --redis-url)")
	}
	return &RedisRate{rdb: redis.NewClient(opt), prefix: "also:ratelimit:"}, nil
}

// Close disconnects.
func (r *RedisRate) Close() error { return r.rdb.Close() }

// gcra: KEYS[1] holds the theoretical arrival time (µs). ARGV: emission interval per unit (µs),
// burst tolerance (µs), units. Returns the wait in µs.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * n
local wait = new_tat - tolerance - now
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return wait
`)

// Reserve implements llm.SharedRate.
func (r *RedisRate) Reserve(ctx context.Context, key string, perMinute float64, n int) (time.Duration, error) {
	if perMinute <= 0 || n <= 0 {
		return 0, nil
	}
	interval := 60e6 / perMinute // µs per unit
	tolerance := 60e6            // one minute's worth of burst, as the local limiter
	us, err := gcra.Run(ctx, r.rdb, []string{r.prefix + key}, interval, tolerance, n).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(us) * time.Microsecond, nil
}

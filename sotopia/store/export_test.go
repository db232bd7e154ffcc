package store

import "github.com/redis/go-redis/v9"

// WithRedisHook installs a go-redis hook before OpenRedis talks to the server (tests only).
func WithRedisHook(h redis.Hook) RedisOption {
	return func(c *redisConfig) { c.hooks = append(c.hooks, h) }
}

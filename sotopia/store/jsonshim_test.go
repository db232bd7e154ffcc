package store_test

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// jsonShim makes a plain redis-server answer the two RedisJSON commands the store uses, by
// rewriting them on the way out: JSON.SET k $ doc [NX] -> SET k doc [NX], JSON.GET k -> GET k.
type jsonShim struct{}

func (jsonShim) DialHook(next redis.DialHook) redis.DialHook { return next }

func (jsonShim) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		tr := translate(ctx, cmd)
		if tr == nil {
			return next(ctx, cmd)
		}
		err := next(ctx, tr)
		copyResult(cmd, tr)
		return err
	}
}

func (jsonShim) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		sent := make([]redis.Cmder, len(cmds))
		for i, c := range cmds {
			if sent[i] = translate(ctx, c); sent[i] == nil {
				sent[i] = c
			}
		}
		err := next(ctx, sent)
		for i, c := range cmds {
			if sent[i] != c {
				copyResult(c, sent[i].(*redis.Cmd))
			}
		}
		return err
	}
}

func translate(ctx context.Context, cmd redis.Cmder) *redis.Cmd {
	args := cmd.Args()
	switch strings.ToLower(cmd.Name()) {
	case "json.set":
		if len(args) < 4 || args[2] != "$" {
			return nil
		}
		return redis.NewCmd(ctx, append([]any{"set", args[1], args[3]}, args[4:]...)...)
	case "json.get":
		return redis.NewCmd(ctx, "get", args[1])
	}
	return nil
}

func copyResult(dst redis.Cmder, src *redis.Cmd) {
	if c, ok := dst.(*redis.Cmd); ok {
		c.SetVal(src.Val())
	}
	dst.SetErr(src.Err())
}

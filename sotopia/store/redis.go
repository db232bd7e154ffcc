package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is Sotopia's default when REDIS_OM_URL is not set.
const DefaultRedisURL = "redis://localhost:6379"

// RedisURL picks the Redis URL the way Sotopia users expect: the explicit flag value, else the
// REDIS_OM_URL environment variable, else DefaultRedisURL. getenv is os.Getenv in production.
func RedisURL(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if v := getenv("REDIS_OM_URL"); v != "" {
		return v
	}
	return DefaultRedisURL
}

const redacted = "xxxxx"

// RedactURL returns the URL with its password (and any password-like query parameter) replaced
// by "xxxxx", for errors and logs. A URL that does not parse has everything between the scheme
// and its last '@' hidden.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@")
		switch {
		case i >= 0 && j > i+3:
			return raw[:i+3] + redacted + raw[j:]
		case j >= 0:
			return redacted + raw[j:]
		}
		return raw
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
				q.Set(k, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// scrub removes secret from an error's text (keeping nothing of the original error chain, which
// would still print it).
func scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, redacted))
}

// RedisMode says how documents are stored.
type RedisMode int

const (
	// RedisAuto probes the server at connect: RedisJSON if the JSON module answers, else plain.
	RedisAuto RedisMode = iota
	// RedisPlain stores each object as a JSON string (SET/GET) plus secondary index sets.
	RedisPlain
	// RedisJSON stores documents with JSON.SET/JSON.GET like redis-om, so a Sotopia user's Redis
	// Stack database and ours are one. Queries scan the episode keys and filter, so they also see
	// episodes Sotopia itself wrote.
	RedisJSON
)

func (m RedisMode) String() string {
	switch m {
	case RedisPlain:
		return "plain"
	case RedisJSON:
		return "json"
	}
	return "auto"
}

// RedisOption configures OpenRedis.
type RedisOption func(*redisConfig)

type redisConfig struct {
	mode  RedisMode
	hooks []redis.Hook
}

// WithRedisMode forces a storage mode instead of probing.
func WithRedisMode(m RedisMode) RedisOption { return func(c *redisConfig) { c.mode = m } }

// Redis is the Redis store, in Sotopia's key layout (see the KeyPrefix constants). SaveEpisode is
// as durable as the server's persistence settings make an acknowledged write.
type Redis struct {
	rdb    *redis.Client
	mode   RedisMode
	url    string // redacted
	dest   string // see RedisDestination
	closed atomic.Bool
}

// RedisDestination names the database a URL reaches, without the password:
// scheme://[user@]host:port/db. The Mirror's outbox records it with every entry.
func RedisDestination(rawURL string) (string, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return "", fmt.Errorf("redis URL %s is not valid: want redis://[user[:password]@]host:port[/db]", RedactURL(rawURL))
	}
	return destinationOf(rawURL, opt), nil
}

func destinationOf(rawURL string, opt *redis.Options) string {
	scheme := "redis"
	if u, err := url.Parse(rawURL); err == nil && u.Scheme != "" {
		scheme = u.Scheme
	}
	user := ""
	if opt.Username != "" {
		user = opt.Username + "@"
	}
	return fmt.Sprintf("%s://%s%s/%d", scheme, user, opt.Addr, opt.DB)
}

// Destination is the database this store writes to (see RedisDestination).
func (r *Redis) Destination() string { return r.dest }

// OpenRedis connects to url (redis://[user][:password@]host:port[/db]), checks the connection and
// picks the storage mode. Errors never contain the password.
func OpenRedis(ctx context.Context, rawURL string, opts ...RedisOption) (*Redis, error) {
	var cfg redisConfig
	for _, o := range opts {
		o(&cfg)
	}
	safe := RedactURL(rawURL)
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error text repeats the whole URL
		}
		return nil, fmt.Errorf("redis URL %s: %w", safe, scrub(err, passwordOf(rawURL)))
	}
	// RESP2 and no CLIENT SETINFO: works the same on every server version from Debian's to Stack.
	opt.Protocol = 2
	opt.DisableIdentity = true
	r := &Redis{rdb: redis.NewClient(opt), url: safe, dest: destinationOf(rawURL, opt)}
	for _, h := range cfg.hooks {
		r.rdb.AddHook(h)
	}
	fail := func(what string, err error) (*Redis, error) {
		r.rdb.Close()
		err = scrub(err, opt.Password)
		msg := strings.ToUpper(err.Error())
		switch {
		case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "INVALID PASSWORD"):
			return nil, fmt.Errorf("redis %s: %s: authentication failed (check the password in the URL): %w", safe, what, err)
		case strings.Contains(msg, "DB INDEX IS OUT OF RANGE"):
			return nil, fmt.Errorf("redis %s: %s: the server has no database %d (the number after the last / in the URL): %w", safe, what, opt.DB, err)
		case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "CONNECTION REFUSED") || strings.Contains(msg, "NO SUCH HOST") || strings.Contains(msg, "I/O TIMEOUT"):
			return nil, fmt.Errorf("redis %s: %s: %w (is redis-server running there? check the host and port)", safe, what, err)
		}
		return nil, fmt.Errorf("redis %s: %s: %w", safe, what, err)
	}
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fail("connect", err)
	}
	r.mode = cfg.mode
	if r.mode == RedisAuto {
		r.mode = RedisPlain
		err := r.rdb.Do(ctx, "JSON.GET", "also:probe:json").Err()
		switch {
		case err == nil || errors.Is(err, redis.Nil):
			r.mode = RedisJSON
		case !strings.Contains(strings.ToLower(err.Error()), "unknown command"):
			return fail("probe for RedisJSON", err)
		}
	}
	return r, nil
}

func passwordOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@")
	if i >= 0 && j > i+3 {
		userinfo := raw[i+3 : j]
		if k := strings.Index(userinfo, ":"); k >= 0 {
			return userinfo[k+1:]
		}
	}
	return ""
}

// Mode is the storage mode in use (never RedisAuto).
func (r *Redis) Mode() RedisMode { return r.mode }

// URL is the server's URL with the password redacted.
func (r *Redis) URL() string { return r.url }

func (r *Redis) check(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// wrap names the server (redacted) in an error.
func (r *Redis) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redis %s: %s: %w", r.url, what, err)
}

func (r *Redis) Ping(ctx context.Context) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	return r.wrap("ping", r.rdb.Ping(ctx).Err())
}

func (r *Redis) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	return r.rdb.Close()
}

// cmdDoer is what a client, pipeline and transaction share: typed commands plus raw Do (for
// the JSON.* commands).
type cmdDoer interface {
	redis.Cmdable
	Do(ctx context.Context, args ...any) *redis.Cmd
}

// setDoc queues the write of one document on p (a pipeline or transaction).
func (r *Redis) setDoc(ctx context.Context, p cmdDoer, key string, doc []byte, onlyMissing bool) redis.Cmder {
	if r.mode == RedisJSON {
		args := []any{"JSON.SET", key, "$", string(doc)}
		if onlyMissing {
			args = append(args, "NX")
		}
		return p.Do(ctx, args...)
	}
	if onlyMissing {
		return p.SetNX(ctx, key, doc, 0)
	}
	return p.Set(ctx, key, doc, 0)
}

// getDocs reads documents by key; a missing key gives nil.
func (r *Redis) getDocs(ctx context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, 0, len(keys))
	const batch = 256
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		if r.mode == RedisPlain {
			vals, err := r.rdb.MGet(ctx, part...).Result()
			if err != nil {
				return nil, r.wrap("read", err)
			}
			for _, v := range vals {
				if s, ok := v.(string); ok {
					out = append(out, []byte(s))
				} else {
					out = append(out, nil)
				}
			}
			continue
		}
		p := r.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(part))
		for i, k := range part {
			cmds[i] = p.Do(ctx, "JSON.GET", k)
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, r.wrap("read", err)
		}
		for i, c := range cmds {
			s, err := c.Text()
			switch {
			case errors.Is(err, redis.Nil):
				out = append(out, nil)
			case err != nil:
				return nil, r.wrap("read "+part[i], err)
			default:
				out = append(out, []byte(s))
			}
		}
	}
	return out, nil
}

// scanKeys lists the keys matching pattern, deduplicated (SCAN may repeat keys).
func (r *Redis) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	iter := r.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		if k := iter.Val(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, r.wrap("scan "+pattern, err)
	}
	return out, nil
}

func isNilReply(err error) bool { return errors.Is(err, redis.Nil) }

func argStrings(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = fmt.Sprint(a)
	}
	return out
}

package llm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// Env resolves API keys: the process environment first, then values from a .env file.
type Env struct {
	lookup func(string) (string, bool)
	file   map[string]string
}

// NewEnv builds an Env from a lookup function (os.LookupEnv in production; nil means no process
// environment) and the variables of a .env file (nil for none).
func NewEnv(lookup func(string) (string, bool), dotenv map[string]string) *Env {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Env{lookup: lookup, file: dotenv}
}

// LoadEnv reads the .env file at path (a missing file is fine unless required) and combines it
// with lookup. Errors name the file and line, never a value.
func LoadEnv(path string, required bool, lookup func(string) (string, bool)) (*Env, error) {
	if path == "" {
		return NewEnv(lookup, nil), nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return NewEnv(lookup, nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	vars, err := ParseDotEnv(f)
	if err != nil {
		return nil, fmt.Errorf("env file %s: %w", path, err)
	}
	return NewEnv(lookup, vars), nil
}

// Get returns a variable; the process environment wins over the .env file. An empty value
// counts as unset.
func (e *Env) Get(name string) (string, bool) {
	if v, ok := e.lookup(name); ok && v != "" {
		return v, true
	}
	if v, ok := e.file[name]; ok && v != "" {
		return v, true
	}
	return "", false
}

// MissingKeyError says which variable should hold a key. It never carries a value.
type MissingKeyError struct {
	Var   string
	Model string
}

func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("model %s needs an API key: set %s in the environment or in the .env file", e.Model, e.Var)
}

// apiKey resolves a route's key.
func (e *Env) apiKey(r Route) (string, error) {
	if v, ok := e.Get(r.KeyVar); ok {
		return v, nil
	}
	if r.DefaultKey != "" {
		return r.DefaultKey, nil
	}
	return "", &MissingKeyError{Var: r.KeyVar, Model: r.Name}
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseDotEnv reads KEY=VALUE lines: blank lines and lines starting with # are skipped, an
// "export " prefix is allowed, values may be unquoted (a " #" starts a comment), 'single quoted'
// (literal) or "double quoted" (with \n, \t, \", \\ escapes). Later lines win. Errors name the
// line and the key, never the value.
func ParseDotEnv(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		key = strings.TrimSpace(key)
		if !envKeyPattern.MatchString(key) {
			return nil, fmt.Errorf("line %d: %q is not a valid variable name", n, key)
		}
		val, err := dotenvValue(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, key, err)
		}
		vars[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vars, nil
}

func dotenvValue(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	switch raw[0] {
	case '\'':
		end := strings.IndexByte(raw[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("unterminated single-quoted value")
		}
		if err := trailingComment(raw[end+2:]); err != nil {
			return "", err
		}
		return raw[1 : end+1], nil
	case '"':
		var b strings.Builder
		for i := 1; i < len(raw); i++ {
			c := raw[i]
			switch {
			case c == '"':
				if err := trailingComment(raw[i+1:]); err != nil {
					return "", err
				}
				return b.String(), nil
			case c == '\\' && i+1 < len(raw):
				i++
				switch raw[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default: // \" \\ \$ and anything else: the character itself
					b.WriteByte(raw[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("unterminated double-quoted value")
	}
	if i := strings.Index(raw, " #"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.Index(raw, "\t#"); i >= 0 {
		raw = raw[:i]
	}
	return strings.TrimSpace(raw), nil
}

// trailingComment accepts what may follow a closing quote: spaces and an optional comment.
func trailingComment(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || strings.HasPrefix(rest, "#") {
		return nil
	}
	return fmt.Errorf("unexpected text after the closing quote")
}

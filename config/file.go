package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// LoadRun reads a TOML run file over the defaults. Unknown keys, type errors and invalid values
// are errors that name the file, the line and the key.
func LoadRun(path string) (Run, error) {
	r := DefaultRun()
	src, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := checkShape(src); err != nil {
		return r, fmt.Errorf("%s:%w", path, err)
	}
	md, err := toml.Decode(string(src), &r)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return r, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0].String()
		return r, fmt.Errorf("%s:%d: unknown key %q", path, lineOf(string(src), und[0]), key)
	}
	if err := r.Validate(); err != nil {
		// Validation errors start with the field name: point at its line when the file sets it.
		field := strings.TrimSuffix(strings.SplitN(err.Error(), " ", 2)[0], ":")
		for _, k := range md.Keys() {
			if k[len(k)-1] == field || k.String() == field {
				return r, fmt.Errorf("%s:%d: %w", path, lineOf(string(src), k), err)
			}
		}
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Limits on a run file's shape. A real run file is a few KB and two or three levels deep; the
// TOML decoder takes time quadratic in the nesting depth (a 32 KB file of nested keys took a
// minute), so deeper or larger files are refused before decoding.
const (
	maxRunFileBytes = 1 << 20
	maxKeyDepth     = 16
)

// checkShape refuses a run file that is too large or whose keys, tables or inline tables nest
// deeper than maxKeyDepth, naming the line ("%d: ...", after the file name).
func checkShape(src []byte) error {
	if len(src) > maxRunFileBytes {
		return fmt.Errorf(" %d bytes: a run file is at most %d", len(src), maxRunFileBytes)
	}
	depth := 0
	for i, line := range strings.Split(string(src), "\n") {
		key, _, _ := strings.Cut(line, "=")
		key, _, _ = strings.Cut(key, "#")
		if strings.Count(key, ".") > maxKeyDepth {
			return fmt.Errorf("%d: keys nest deeper than %d levels", i+1, maxKeyDepth)
		}
		quote := rune(0)
	scan:
		for _, c := range line {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '#':
				break scan // a comment runs to the end of the line
			case c == '{':
				if depth++; depth > maxKeyDepth {
					return fmt.Errorf("%d: inline tables nest deeper than %d levels", i+1, maxKeyDepth)
				}
			case c == '}':
				depth--
			}
		}
	}
	return nil
}

// lineOf finds the line that sets a key (the key's last part, after its table header), or the
// header of a table key. A key inside an inline table is found through its parent's line.
func lineOf(src string, key toml.Key) int {
	last := regexp.QuoteMeta(key[len(key)-1])
	re := regexp.MustCompile(`^\s*"?` + last + `"?\s*=`)
	table := ""
	for i, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			// Quotes only protect dots and slashes in a key part: compare without them.
			table = strings.ReplaceAll(strings.Trim(t, "[] "), `"`, "")
			if table == strings.Join(key, ".") {
				return i + 1
			}
			continue
		}
		if re.MatchString(line) && (len(key) == 1 && table == "" || len(key) > 1 && table == strings.Join(key[:len(key)-1], ".")) {
			return i + 1
		}
	}
	if len(key) > 1 {
		return lineOf(src, key[:len(key)-1])
	}
	return 0
}

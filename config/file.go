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

package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// An experiment file is a grid of runs (`also experiment FILE.toml`):
//
//	name = "smoke"                 # optional: prefixes every cell's tag
//	[base]                         # any run-file key: what every cell shares
//	subset = "hard_small"
//	[grid]                         # axes: each value is a list; cells are the product
//	bandit_type = ["also", "exp3"] # a setting axis: the key is a run-file key (dotted: policy.eta)
//	sim.opponent = ["cooperative", "adversarial"]
//	method = [                     # a bundle axis: a list of tables, each setting several keys
//	  { label = "instinct", bandit_type = "instinct", policy = { beta = 0.01 } },
//	]
//	[[cell]]                       # explicit extra cells over [base], not crossed with the grid
//	bandit_type = "linucb"
//
// Each cell's tag is derived from its configuration (Run.DefaultTag, which ends with the
// configuration fingerprint), so a cell's episodes are always found under the same tag.

// Cell is one configuration of an experiment and the tag its episodes are stored under.
type Cell struct {
	Tag string
	Run Run
	// Label names the cell by its axis values ("bandit_type=exp3 sim.opponent=adversarial").
	Label string
	// Line is where the cell is defined ([[cell]] header, or the first axis of a grid cell).
	Line int
}

// Experiment is a parsed experiment file.
type Experiment struct {
	Path        string
	Name        string
	Description string
	cells       []Cell
}

// Cells returns the experiment's cells in file order: the grid's product (first axis outermost),
// then the explicit [[cell]] entries.
func (e *Experiment) Cells() ([]Cell, error) {
	if len(e.cells) == 0 {
		return nil, fmt.Errorf("%s: the experiment has no cells", e.Path)
	}
	return append([]Cell(nil), e.cells...), nil
}

// axis is one [grid] key: its values, each a partial run table (settings) with its label.
type axis struct {
	name   string
	line   int
	bundle bool // values are tables of settings, not values of the setting name
	values []axisValue
}

type axisValue struct {
	label    string
	settings map[string]any
	line     int
}

// LoadExperiment reads and expands an experiment file. Every error names the file, the line and
// the key at fault; nothing is opened but the file.
func LoadExperiment(path string) (*Experiment, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkShape(src); err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	var doc map[string]any
	md, err := toml.Decode(string(src), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &expParser{path: path, src: string(src), md: md}
	return p.parse(doc)
}

type expParser struct {
	path string
	src  string
	md   toml.MetaData
}

// errAt is an error at the line that sets key (dotted, in the file's table structure).
func (p *expParser) errAt(key []string, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", p.path, keyLine(p.src, key), strings.Join(key, "."), fmt.Sprintf(format, args...))
}

func (p *expParser) parse(doc map[string]any) (*Experiment, error) {
	e := &Experiment{Path: p.path}
	for _, k := range sortedKeys(doc) {
		switch k {
		case "name", "description":
			s, ok := doc[k].(string)
			if !ok {
				return nil, p.errAt([]string{k}, "must be a string")
			}
			if k == "name" {
				if strings.ContainsAny(s, " \t/\\") {
					return nil, p.errAt([]string{k}, "%q: a tag prefix may not contain spaces or slashes", s)
				}
				e.Name = s
			} else {
				e.Description = s
			}
		case "base", "grid", "cell":
		default:
			return nil, p.errAt([]string{k}, "unknown key (want name, description, [base], [grid] or [[cell]])")
		}
	}
	base, ok := doc["base"].(map[string]any)
	if _, set := doc["base"]; set && !ok {
		return nil, p.errAt([]string{"base"}, "must be a table ([base])")
	}
	if base == nil {
		base = map[string]any{}
	}
	if err := p.checkSettings([]string{"base"}, base); err != nil {
		return nil, err
	}
	axes, err := p.axes(doc["grid"])
	if err != nil {
		return nil, err
	}
	for i, a := range axes {
		where := []string{"grid", a.name}
		if !a.bundle {
			where = where[:1] // the settings' own keys spell the axis
		}
		for _, v := range a.values {
			if err := p.checkSettings(where, v.settings); err != nil {
				return nil, err
			}
		}
		for _, b := range axes[:i] {
			if k := overlap(a, b); k != "" {
				return nil, p.errAt([]string{"grid", a.name}, "sets %s, which axis %s (line %d) sets too", k, b.name, b.line)
			}
		}
	}
	if len(axes) > 0 {
		if err := p.expandGrid(e, base, axes); err != nil {
			return nil, err
		}
	}
	if err := p.explicitCells(e, base, doc["cell"]); err != nil {
		return nil, err
	}
	if len(axes) == 0 && doc["cell"] == nil {
		// No grid and no cells: the base alone is the experiment's one cell.
		c, err := p.cell(e, base, "base", keyLine(p.src, []string{"base"}), []source{{table: []string{"base"}, settings: base}})
		if err != nil {
			return nil, err
		}
		e.cells = append(e.cells, c)
	}
	seen := map[string]Cell{}
	for _, c := range e.cells {
		if prev, dup := seen[c.Tag]; dup {
			return nil, fmt.Errorf("%s:%d: cell %s has the same configuration as cell %s (line %d): tag %s", p.path, c.Line, c.Label, prev.Label, prev.Line, c.Tag)
		}
		seen[c.Tag] = c
	}
	return e, nil
}

// axes reads [grid]: nested tables flatten into dotted setting names; a list is an axis.
func (p *expParser) axes(raw any) ([]axis, error) {
	if raw == nil {
		return nil, nil
	}
	grid, ok := raw.(map[string]any)
	if !ok {
		return nil, p.errAt([]string{"grid"}, "must be a table ([grid])")
	}
	var out []axis
	var walk func(prefix []string, m map[string]any) error
	walk = func(prefix []string, m map[string]any) error {
		for _, k := range sortedKeys(m) {
			key := append(append([]string(nil), prefix...), k)
			val := m[k]
			if list, ok := val.([]any); ok && len(list) > 0 {
				if tables := asTables(list); tables != nil {
					val = tables
				}
			}
			switch v := val.(type) {
			case map[string]any:
				if err := walk(key, v); err != nil {
					return err
				}
			case []map[string]any:
				a := axis{name: strings.Join(key, "."), line: keyLine(p.src, append([]string{"grid"}, key...)), bundle: true}
				for i, t := range v {
					settings := map[string]any{}
					label := fmt.Sprintf("%s#%d", a.name, i+1)
					for sk, sv := range t {
						if sk == "label" {
							s, ok := sv.(string)
							if !ok || s == "" {
								return p.errAt(append([]string{"grid"}, key...), "value %d: label must be a non-empty string", i+1)
							}
							label = s
							continue
						}
						settings[sk] = sv
					}
					a.values = append(a.values, axisValue{label: label, settings: settings, line: lineAfter(p.src, a.line, label)})
				}
				out = append(out, a)
			case []any:
				if len(v) == 0 {
					return p.errAt(append([]string{"grid"}, key...), "an axis needs at least one value")
				}
				a := axis{name: strings.Join(key, "."), line: keyLine(p.src, append([]string{"grid"}, key...))}
				for _, x := range v {
					a.values = append(a.values, axisValue{label: fmt.Sprintf("%s=%v", a.name, x), settings: nest(key, x), line: a.line})
				}
				out = append(out, a)
			default:
				return p.errAt(append([]string{"grid"}, key...), "an axis must be a list of values (write [%v] for one value, or set it in [base])", v)
			}
		}
		return nil
	}
	if err := walk(nil, grid); err != nil {
		return nil, err
	}
	// Axes in file order, so the first axis written varies slowest.
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out, nil
}

func (p *expParser) expandGrid(e *Experiment, base map[string]any, axes []axis) error {
	idx := make([]int, len(axes))
	for {
		layers := []map[string]any{base}
		var labels []string
		var sources []source
		for i, a := range axes {
			v := a.values[idx[i]]
			layers = append(layers, v.settings)
			labels = append(labels, v.label)
			sources = append(sources, source{table: []string{"grid", a.name}, settings: v.settings, line: v.line})
		}
		sources = append(sources, source{table: []string{"base"}, settings: base})
		c, err := p.cell(e, merge(layers...), strings.Join(labels, " "), axes[0].line, sources)
		if err != nil {
			return err
		}
		e.cells = append(e.cells, c)
		// Odometer: the last axis varies fastest.
		i := len(axes) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < len(axes[i].values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

func (p *expParser) explicitCells(e *Experiment, base map[string]any, raw any) error {
	if raw == nil {
		return nil
	}
	list, ok := raw.([]map[string]any)
	if !ok {
		return p.errAt([]string{"cell"}, "must be an array of tables ([[cell]])")
	}
	for i, t := range list {
		where := []string{fmt.Sprintf("cell#%d", i+1)}
		tag, hasTag := t["tag"]
		settings := map[string]any{}
		for k, v := range t {
			if k != "tag" {
				settings[k] = v
			}
		}
		if err := p.checkSettings(where, settings); err != nil {
			return err
		}
		label := fmt.Sprintf("cell#%d", i+1)
		c, err := p.cell(e, merge(base, settings), label, keyLine(p.src, where),
			[]source{{table: where, settings: settings}, {table: []string{"base"}, settings: base}})
		if err != nil {
			return err
		}
		if hasTag {
			s, ok := tag.(string)
			if !ok || s == "" || strings.ContainsAny(s, " \t/\\") {
				return p.errAt(append(where, "tag"), "must be a non-empty string without spaces or slashes")
			}
			c.Tag, c.Run.Tag = s, s
		}
		e.cells = append(e.cells, c)
	}
	return nil
}

// source is one table a cell's settings come from: [base], an axis value or a [[cell]].
type source struct {
	table    []string // where in the file: ["base"], ["grid", axis], ["cell#2"]
	settings map[string]any
	line     int // the axis value's line (0: find the key under table)
}

// cell decodes merged settings into a Run and validates it; a validation error points at the
// line of the source (axis value, [[cell]] or [base]) that sets the field at fault.
func (p *expParser) cell(e *Experiment, settings map[string]any, label string, line int, sources []source) (Cell, error) {
	r, err := decodeSettings(settings)
	if err != nil {
		return Cell{}, fmt.Errorf("%s:%d: cell %s: %w", p.path, line, label, err)
	}
	if err := r.Validate(); err != nil {
		field := strings.TrimSuffix(strings.SplitN(err.Error(), " ", 2)[0], ":")
	find:
		for _, src := range sources {
			keys := map[string]bool{}
			flattenKeys("", src.settings, keys)
			for _, k := range sortedKeys(keys) {
				if k == field || strings.HasPrefix(k, field+".") || strings.HasSuffix(k, "."+field) {
					line = src.line
					if line == 0 {
						line = keyLine(p.src, append(append([]string(nil), src.table...), strings.Split(k, ".")...))
					}
					break find
				}
			}
		}
		return Cell{}, fmt.Errorf("%s:%d: cell %s: %w", p.path, line, label, err)
	}
	tag := r.DefaultTag()
	if e.Name != "" {
		tag = e.Name + "_" + strings.TrimPrefix(tag, "also_")
	}
	r.Tag = tag
	// Cells resume: a rerun continues under the same tag.
	r.Resume = true
	return Cell{Tag: tag, Run: r, Label: label, Line: line}, nil
}

// checkSettings decodes a partial run table alone, so an unknown key or a wrongly typed value
// is reported at its own line rather than at a cell's.
func (p *expParser) checkSettings(where []string, settings map[string]any) error {
	if _, ok := settings["tag"]; ok {
		return p.errAt(append(where, "tag"), "tags are derived per cell (only a [[cell]] may name its own)")
	}
	for key, why := range map[string]string{
		"out":    "each cell's run folder goes under `also experiment --out`",
		"resume": "every cell resumes: a rerun continues the experiment",
	} {
		if _, ok := settings[key]; ok {
			return p.errAt(append(append([]string(nil), where...), key), "set by the experiment: %s", why)
		}
	}
	if _, err := decodeSettings(settings); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			return p.errAt(append(append([]string(nil), where...), ke.key...), "%s", ke.msg)
		}
		return fmt.Errorf("%s:%d: %s: %w", p.path, keyLine(p.src, where), strings.Join(where, "."), err)
	}
	return nil
}

var lastKeyRE = regexp.MustCompile(`last key "([^"]+)"\): (.*)$`)

type keyError struct {
	key []string
	msg string
}

func (e *keyError) Error() string { return strings.Join(e.key, ".") + ": " + e.msg }

// decodeSettings applies a run table over the defaults through TOML, as a run file would be.
func decodeSettings(settings map[string]any) (Run, error) {
	r := DefaultRun()
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(settings); err != nil {
		return r, err
	}
	md, err := toml.Decode(buf.String(), &r)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) && pe.LastKey != "" {
			return r, &keyError{key: strings.Split(pe.LastKey, "."), msg: pe.Message}
		}
		// Type mismatches come as text: `toml: line 1 (last key "a.b"): incompatible types: ...`.
		if m := lastKeyRE.FindStringSubmatch(err.Error()); m != nil {
			return r, &keyError{key: strings.Split(m[1], "."), msg: m[2]}
		}
		return r, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		return r, &keyError{key: und[0], msg: "unknown run setting"}
	}
	return r, nil
}

// overlap names a setting two axes both set, or "".
func overlap(a, b axis) string {
	keys := func(x axis) map[string]bool {
		out := map[string]bool{}
		for _, v := range x.values {
			flattenKeys("", v.settings, out)
		}
		return out
	}
	ka, kb := keys(a), keys(b)
	for _, k := range sortedKeys(ka) {
		if kb[k] {
			return k
		}
	}
	return ""
}

func flattenKeys(prefix string, m map[string]any, out map[string]bool) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flattenKeys(key, sub, out)
			continue
		}
		out[key] = true
	}
}

// nest builds {a: {b: v}} from the key [a b].
func nest(key []string, v any) map[string]any {
	m := map[string]any{key[len(key)-1]: v}
	for i := len(key) - 2; i >= 0; i-- {
		m = map[string]any{key[i]: m}
	}
	return m
}

// merge deep-merges tables; later layers win, nested tables merge key by key.
func merge(layers ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, l := range layers {
		for k, v := range l {
			if sub, ok := v.(map[string]any); ok {
				if cur, ok := out[k].(map[string]any); ok {
					out[k] = merge(cur, sub)
					continue
				}
				out[k] = merge(sub)
				continue
			}
			out[k] = v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// keyLine finds the line that sets a dotted key, following table headers ([a.b]), arrays of
// tables ([[cell]], addressed as "cell#N"), dotted keys (a.b = ...) and inline tables (the line
// of the longest prefix that is set). 0 if the file does not set it.
func keyLine(src string, key []string) int {
	want := strings.Join(key, ".")
	best, bestLen := 0, 0
	table := ""
	arrays := map[string]int{}
	for i, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if c := strings.Index(t, "#"); c == 0 {
			continue
		}
		full := ""
		switch {
		case strings.HasPrefix(t, "[["):
			name := cleanKey(strings.Trim(t, "[] "))
			arrays[name]++
			table = fmt.Sprintf("%s#%d", name, arrays[name])
			full = table
		case strings.HasPrefix(t, "["):
			table = cleanKey(strings.Trim(strings.SplitN(t, "#", 2)[0], "[] "))
			full = table
		default:
			lhs, _, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			full = cleanKey(lhs)
			if table != "" {
				full = table + "." + full
			}
		}
		if full == want {
			return i + 1
		}
		if strings.HasPrefix(want, full+".") && len(full) > bestLen {
			best, bestLen = i+1, len(full)
		}
	}
	return best
}

// cleanKey drops quotes and spaces around the parts of a dotted key.
func cleanKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// lineAfter is the first line at or after from that mentions label in quotes (a bundle's
// label = "..."), else from.
func lineAfter(src string, from int, label string) int {
	lines := strings.Split(src, "\n")
	for i := max(0, from-1); i < len(lines); i++ {
		if strings.Contains(lines[i], `"`+label+`"`) {
			return i + 1
		}
	}
	return from
}

// asTables is list as tables when every value is one (a bundle axis), else nil.
func asTables(list []any) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, x := range list {
		t, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		out[i] = t
	}
	return out
}

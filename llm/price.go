package llm

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed prices.toml
var defaultPricesTOML []byte

// Price is what a model costs in USD per 1M tokens. Cached prices prompt tokens the provider
// served from its prompt cache; zero means "same as Input".
type Price struct {
	Input  float64 `toml:"input"`
	Output float64 `toml:"output"`
	Cached float64 `toml:"cached"`
}

// Cost prices one call. promptTokens includes cachedTokens (as providers report them).
func (p Price) Cost(promptTokens, completionTokens, cachedTokens int64) float64 {
	cached := min(max(cachedTokens, 0), promptTokens)
	cachedPrice := p.Cached
	if cachedPrice == 0 {
		cachedPrice = p.Input
	}
	return (float64(promptTokens-cached)*p.Input + float64(cached)*cachedPrice +
		float64(completionTokens)*p.Output) / 1e6
}

// PriceTable maps model names to prices and says where the numbers come from.
type PriceTable struct {
	Source string           `toml:"source"`
	Date   string           `toml:"date"`
	Models map[string]Price `toml:"models"`
}

// DefaultPrices is the embedded table (llm/prices.toml): a few well-known models with the
// date and source of their prices.
func DefaultPrices() (*PriceTable, error) {
	t, err := ParsePrices(defaultPricesTOML)
	if err != nil {
		return nil, fmt.Errorf("embedded prices.toml: %w", err)
	}
	return t, nil
}

// ParsePrices reads a TOML price table; errors name the line (syntax) or the model (values).
func ParsePrices(data []byte) (*PriceTable, error) {
	var t PriceTable
	md, err := toml.Decode(string(data), &t)
	if err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("price table: unknown keys %s (want source, date and [models.\"<name>\"] with input, output, cached)", strings.Join(keys, ", "))
	}
	for name, p := range t.Models {
		for _, f := range []struct {
			field string
			v     float64
		}{{"input", p.Input}, {"output", p.Output}, {"cached", p.Cached}} {
			if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return nil, fmt.Errorf("price table: models.%q.%s = %v, want a non-negative USD price per 1M tokens", name, f.field, f.v)
			}
		}
	}
	if t.Models == nil {
		t.Models = map[string]Price{}
	}
	return &t, nil
}

// LoadPrices reads a user's price file and lays it over the defaults (its entries win).
func LoadPrices(path string) (*PriceTable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	user, err := ParsePrices(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	base, err := DefaultPrices()
	if err != nil {
		return nil, err
	}
	return base.Merge(user), nil
}

// Merge returns a table with o's entries over t's.
func (t *PriceTable) Merge(o *PriceTable) *PriceTable {
	out := &PriceTable{Source: t.Source, Date: t.Date, Models: make(map[string]Price, len(t.Models)+len(o.Models))}
	for k, v := range t.Models {
		out.Models[k] = v
	}
	for k, v := range o.Models {
		out.Models[k] = v
	}
	if o.Source != "" {
		out.Source = o.Source + "; defaults: " + t.Source
	}
	if o.Date != "" {
		out.Date = o.Date
	}
	return out
}

// Lookup finds the price of a routed model (see Route.PriceNames).
func (t *PriceTable) Lookup(r Route) (Price, bool) {
	if t == nil {
		return Price{}, false
	}
	for _, name := range r.PriceNames() {
		if p, ok := t.Models[name]; ok {
			return p, true
		}
	}
	return Price{}, false
}

// Names lists the priced models, sorted.
func (t *PriceTable) Names() []string {
	names := make([]string, 0, len(t.Models))
	for k := range t.Models {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

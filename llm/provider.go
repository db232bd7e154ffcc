package llm

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

// ProviderPreferences is OpenRouter's provider-routing object (the request body's "provider"
// field; openrouter.ai/docs/features/provider-routing): which upstream providers may serve a
// model, in what order, at which quantisation. It changes which weights and kernels answer, so
// it changes results: it is part of a run's configuration and of the cache key. Unset fields
// are not sent. The ALSO artifact pins every OpenRouter DeepSeek agent and judge call with
// {"order":["siliconflow"],"quantizations":["fp8"],"preferred_min_throughput":{"p90":100}}.
type ProviderPreferences struct {
	// Order lists provider slugs to try first, in order (e.g. "siliconflow", "deepinfra/fp8").
	Order []string `toml:"order" json:"order,omitempty"`
	// Only restricts routing to these providers; Ignore excludes these.
	Only   []string `toml:"only" json:"only,omitempty"`
	Ignore []string `toml:"ignore" json:"ignore,omitempty"`
	// AllowFallbacks (OpenRouter default true) lets other providers serve when the listed ones fail.
	AllowFallbacks *bool `toml:"allow_fallbacks" json:"allow_fallbacks,omitempty"`
	// RequireParameters routes only to providers that support every parameter of the request.
	RequireParameters *bool `toml:"require_parameters" json:"require_parameters,omitempty"`
	// DataCollection is "allow" or "deny" (providers that may store or train on prompts).
	DataCollection string `toml:"data_collection" json:"data_collection,omitempty"`
	// ZDR routes only to zero-data-retention endpoints.
	ZDR *bool `toml:"zdr" json:"zdr,omitempty"`
	// Quantizations keeps providers serving one of these precisions.
	Quantizations []string `toml:"quantizations" json:"quantizations,omitempty"`
	// Sort orders providers by "price", "throughput" or "latency" (disables load balancing).
	Sort string `toml:"sort" json:"sort,omitempty"`
	// PreferredMinThroughput (tokens/s) and PreferredMaxLatency (s) deprioritise providers
	// whose recent percentiles miss them.
	PreferredMinThroughput *Percentiles `toml:"preferred_min_throughput" json:"preferred_min_throughput,omitempty"`
	PreferredMaxLatency    *Percentiles `toml:"preferred_max_latency" json:"preferred_max_latency,omitempty"`
	// MaxPrice caps USD per 1M tokens (prompt, completion) or per request/image.
	MaxPrice *MaxPrice `toml:"max_price" json:"max_price,omitempty"`
}

// Percentiles are per-percentile thresholds; unset ones are not sent.
type Percentiles struct {
	P50 *float64 `toml:"p50" json:"p50,omitempty"`
	P75 *float64 `toml:"p75" json:"p75,omitempty"`
	P90 *float64 `toml:"p90" json:"p90,omitempty"`
	P99 *float64 `toml:"p99" json:"p99,omitempty"`
}

// MaxPrice is OpenRouter's max_price object.
type MaxPrice struct {
	Prompt     *float64 `toml:"prompt" json:"prompt,omitempty"`
	Completion *float64 `toml:"completion" json:"completion,omitempty"`
	Request    *float64 `toml:"request" json:"request,omitempty"`
	Image      *float64 `toml:"image" json:"image,omitempty"`
}

// Quantizations OpenRouter knows.
var Quantizations = []string{"int4", "int8", "fp4", "fp6", "fp8", "fp16", "bf16", "fp32", "unknown"}

// ProviderSorts are the values of ProviderPreferences.Sort.
var ProviderSorts = []string{"price", "throughput", "latency"}

// ErrNoPreference is Validate's error for a table that sets nothing: the one error that is about
// the table as a whole; every other names the bad field first.
var ErrNoPreference = errors.New("sets no preference (want order, only, ignore, allow_fallbacks, require_parameters, " +
	"data_collection, zdr, quantizations, sort, preferred_min_throughput, preferred_max_latency or max_price)")

// Validate names the first bad field by its key (e.g. "quantizations = [fp9]: ..."), or returns
// ErrNoPreference.
func (p ProviderPreferences) Validate() error {
	lists := []struct {
		key  string
		vals []string
	}{{"order", p.Order}, {"only", p.Only}, {"ignore", p.Ignore}, {"quantizations", p.Quantizations}}
	for _, l := range lists {
		seen := map[string]bool{}
		for _, v := range l.vals {
			switch {
			case v == "" || strings.ContainsFunc(v, unicode.IsSpace):
				return fmt.Errorf("%s = %q: entries are non-empty slugs without spaces", l.key, l.vals)
			case seen[v]:
				return fmt.Errorf("%s = %q: %q is listed twice", l.key, l.vals, v)
			case l.key == "quantizations" && !slices.Contains(Quantizations, v):
				return fmt.Errorf("quantizations = %q: %q is not one of %s", l.vals, v, strings.Join(Quantizations, ", "))
			}
			seen[v] = true
		}
	}
	for _, v := range p.Only {
		if slices.Contains(p.Ignore, v) {
			return fmt.Errorf("ignore = %q: %q is also in only", p.Ignore, v)
		}
	}
	if p.DataCollection != "" && p.DataCollection != "allow" && p.DataCollection != "deny" {
		return fmt.Errorf("data_collection = %q: must be allow or deny", p.DataCollection)
	}
	if p.Sort != "" && !slices.Contains(ProviderSorts, p.Sort) {
		return fmt.Errorf("sort = %q: must be one of %s", p.Sort, strings.Join(ProviderSorts, ", "))
	}
	if err := p.PreferredMinThroughput.validate("preferred_min_throughput"); err != nil {
		return err
	}
	if err := p.PreferredMaxLatency.validate("preferred_max_latency"); err != nil {
		return err
	}
	if m := p.MaxPrice; m != nil {
		set := false
		for _, f := range []struct {
			key string
			v   *float64
		}{{"prompt", m.Prompt}, {"completion", m.Completion}, {"request", m.Request}, {"image", m.Image}} {
			if f.v == nil {
				continue
			}
			set = true
			if *f.v < 0 || math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
				return fmt.Errorf("max_price.%s = %v: must be a non-negative USD price", f.key, *f.v)
			}
		}
		if !set {
			return fmt.Errorf("max_price: sets none of prompt, completion, request, image")
		}
	}
	if p.IsZero() {
		return ErrNoPreference
	}
	return nil
}

// IsZero reports whether nothing is set (nothing would be sent).
func (p ProviderPreferences) IsZero() bool {
	return len(p.Order) == 0 && len(p.Only) == 0 && len(p.Ignore) == 0 && p.AllowFallbacks == nil &&
		p.RequireParameters == nil && p.DataCollection == "" && p.ZDR == nil && len(p.Quantizations) == 0 &&
		p.Sort == "" && p.PreferredMinThroughput == nil && p.PreferredMaxLatency == nil && p.MaxPrice == nil
}

func (q *Percentiles) validate(key string) error {
	if q == nil {
		return nil
	}
	set := false
	for _, f := range []struct {
		key string
		v   *float64
	}{{"p50", q.P50}, {"p75", q.P75}, {"p90", q.P90}, {"p99", q.P99}} {
		if f.v == nil {
			continue
		}
		set = true
		if !(*f.v > 0) || math.IsInf(*f.v, 0) {
			return fmt.Errorf("%s.%s = %v: must be a positive number", key, f.key, *f.v)
		}
	}
	if !set {
		return fmt.Errorf("%s: sets none of p50, p75, p90, p99", key)
	}
	return nil
}

// ArtifactDeepSeekPin is what the ALSO artifact's agenerate sends with every call to a model whose
// name contains both "openrouter" and "deepseek" (also-prompts README, "How agenerate builds the
// request"): SiliconFlow first, fp8, preferring providers with p90 throughput above 100 tokens/s.
func ArtifactDeepSeekPin() ProviderPreferences {
	p90 := 100.0
	return ProviderPreferences{Order: []string{"siliconflow"}, Quantizations: []string{"fp8"},
		PreferredMinThroughput: &Percentiles{P90: &p90}}
}

package config

import (
	"reflect"
	"strings"
	"testing"
)

// resultSettings are the settings that can change what an episode contains. Every settings path
// of a Run is either here or (by its top-level key) in notIdentity: a new field must be
// classified before the tests pass, so nobody adds a knob that silently mixes experiments.
var resultSettings = []string{
	"bandit_type", "optimize", "credit", "max_turns", "era", "strategy_version", "context_embedding", "seed",
	"model", "p1_model", "p2_model", "p1_agent", "p2_agent", "reward_eval_model", "terminal_eval_model", "embedding_model",
	"temperature", "max_tokens",
	"policy.eta", "policy.gamma", "policy.horizon", "policy.alpha", "policy.beta", "policy.epsilon",
	"policy.also.depth", "policy.also.hidden", "policy.also.epochs", "policy.also.batch_size", "policy.also.lr",
	"policy.also.lr_min", "policy.also.score_decay", "policy.also.eta_schedule", "policy.also.score_mode",
	"policy.also.greedy_selection", "policy.also.static_strategy", "policy.also.multi_dim_prediction",
	"policy.also.surrogate", "policy.also.warm_epochs", "policy.also.no_early_stop",
	"policy.also.context_embedding", "policy.update_interval", "policy.alternate_optimization", "policy.ucb_context_embedding", "judge_prompt", "openrouter_provider", "optimizer_model",
	"policy.static_arm", "policy.population_size", "policy.evolution_interval", "policy.opro.samples", "policy.opro.threshold", "policy.opro.top_k",
	"sim.Dim", "sim.Opponent", "sim.SwitchEvery", "sim.Drift", "sim.AdaptAlpha", "sim.AdaptMemory", "sim.Noise",
	"sim.Beta", "sim.Lambda", "sim.Kappa", "sim.OffsetSD", "sim.TrustRate", "sim.GoalRate", "sim.LeaveTrust",
	"sim.LeaveAfter", "sim.LeaverTurns", "sim.NonVerbalRate", "sim.SharedPref",
	"policy_in", "policy_freeze",
}

// derivedSettings are identity settings the session overwrites from others (the horizon from
// max_turns, the surrogate's context flag from context_embedding): changing them alone changes
// nothing, and the identity records the value actually used.
var derivedSettings = map[string]bool{"policy.horizon": true, "policy.also.context_embedding": true}

func TestEverySettingIsClassified(t *testing.T) {
	result := map[string]bool{}
	for _, p := range resultSettings {
		result[p] = true
	}
	paths := SettingsPaths()
	seen := map[string]bool{}
	for _, p := range paths {
		seen[p] = true
		top, _, _ := strings.Cut(p, ".")
		_, excluded := notIdentity[top]
		switch {
		case result[p] && excluded:
			t.Errorf("%s is both a result setting and in notIdentity", p)
		case !result[p] && !excluded:
			t.Errorf("setting %s is not classified: if it can change an episode's content add it to resultSettings "+
				"(config/identity_test.go); if it cannot, add its key to notIdentity (config/identity.go) with the reason", p)
		}
	}
	for _, p := range resultSettings {
		if !seen[p] {
			t.Errorf("resultSettings lists %s, which is no longer a setting", p)
		}
	}
}

// Changing any one setting changes the fingerprint exactly when the setting is part of the
// identity in that world: checked by mutating every field of the struct through reflection.
func TestFingerprintFollowsEverySetting(t *testing.T) {
	liveBase := DefaultRun()
	liveBase.Model = "openrouter/vendor/agent"
	worlds := map[string]Run{"sim": DefaultRun(), "live": liveBase}
	// In the sim world a model name other than sim turns the run live: a different world, which
	// is a different identity anyway; those are checked in the live world.
	flipsWorld := map[string]bool{"model": true, "p1_model": true, "p2_model": true, "reward_eval_model": true, "terminal_eval_model": true}
	for world, base := range worlds {
		baseID, err := base.Identity()
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range SettingsPaths() {
			if world == "sim" && flipsWorld[path] {
				continue
			}
			r := base
			r.Tasks = append([]string(nil), base.Tasks...)
			mutate(t, reflect.ValueOf(&r).Elem(), strings.Split(path, "."))
			id, err := r.Identity()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			want := IsIdentitySetting(path, world == "sim") && !derivedSettings[path]
			if changed := id.Fingerprint != baseID.Fingerprint; changed != want {
				t.Errorf("%s world: changing %s changed the fingerprint: %v, want %v", world, path, changed, want)
			}
		}
	}
}

// mutate changes the field at a JSON path to another valid-looking value.
func mutate(t *testing.T, v reflect.Value, path []string) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != path[0] {
			continue
		}
		fv := v.Field(i)
		if len(path) > 1 {
			mutate(t, fv, path[1:])
			return
		}
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(fv.String() + "x")
		case reflect.Bool:
			fv.SetBool(!fv.Bool())
		case reflect.Int, reflect.Int64:
			fv.SetInt(fv.Int() + 3)
		case reflect.Float64:
			fv.SetFloat(fv.Float() + 0.5)
		case reflect.Slice:
			fv.Set(reflect.Append(fv, reflect.Zero(fv.Type().Elem())))
		case reflect.Map:
			m := reflect.MakeMap(fv.Type())
			m.SetMapIndex(reflect.ValueOf("openai").Convert(fv.Type().Key()), reflect.Zero(fv.Type().Elem()))
			fv.Set(m)
		default:
			t.Fatalf("%s: cannot mutate a %s", f.Name, fv.Kind())
		}
		return
	}
	t.Fatalf("no field %q", path[0])
}

func TestDerivedTagsCarryTheFingerprint(t *testing.T) {
	tag := func(change func(*Run)) string {
		r := DefaultRun()
		change(&r)
		return r.DefaultTag()
	}
	base := tag(func(*Run) {})
	id, _ := DefaultRun().Identity()
	if !strings.HasSuffix(base, "_"+id.Short()) {
		t.Fatalf("default tag %s does not end with the fingerprint %s", base, id.Short())
	}
	for name, m := range map[string]func(*Run){
		"eta":              func(r *Run) { r.Policy.Eta = 20 },
		"strategy_version": func(r *Run) { r.StrategyVersion = "v1" },
		"credit":           func(r *Run) { r.Credit = "own-turn" },
		"max_turns":        func(r *Run) { r.MaxTurns = 4 },
	} {
		if got := tag(m); got == base {
			t.Errorf("%s: the derived tag did not change (%s)", name, got)
		}
	}
	// Same last path part, different providers: different models, different tags.
	a := tag(func(r *Run) { r.Model = "openrouter/x/b" })
	b := tag(func(r *Run) { r.Model = "openai/b" })
	if a == b {
		t.Errorf("openrouter/x/b and openai/b derive one tag %s", a)
	}
	// A custom model moved to another server is the same model.
	c1 := tag(func(r *Run) { r.Model = "custom/qwen@http://10.0.0.1:8000/v1" })
	c2 := tag(func(r *Run) { r.Model = "custom/qwen@http://10.0.0.2:9000/v1" })
	if c1 != c2 {
		t.Errorf("a moved custom server changed the tag: %s vs %s", c1, c2)
	}
	// Selection is not identity: the fingerprint part stays.
	s1, s2 := DefaultRun(), DefaultRun()
	s2.MaxEpisodes, s2.Tasks = 3, []string{"x"}
	i1, _ := s1.Identity()
	i2, _ := s2.Identity()
	if i1.Fingerprint != i2.Fingerprint {
		t.Error("max_episodes/tasks changed the fingerprint")
	}
}

func TestLiveIdentityFillsThePapersModels(t *testing.T) {
	r := DefaultRun()
	r.Model = "openai/gpt-4o-mini"
	explicit := r
	explicit.RewardEvalModel, explicit.TerminalEvalModel, explicit.EmbeddingModel =
		"openrouter/deepseek/deepseek-v3.2", "openrouter/openai/gpt-4o", "openrouter/qwen/qwen3-embedding-8b"
	a, _ := r.Identity()
	b, _ := explicit.Identity()
	if a.Fingerprint != b.Fingerprint {
		t.Errorf("unset judges and the paper's judges named explicitly differ:\n%s\n%s", a.Config, b.Config)
	}
	if strings.Contains(string(a.Config), `"sim"`) {
		t.Errorf("a live identity carries the sim world's settings: %s", a.Config)
	}
}

func TestConfigDiffListsTheSettingsThatDiffer(t *testing.T) {
	a, b := DefaultRun(), DefaultRun()
	b.Policy.Eta, b.MaxTurns = 20, 4
	ia, _ := a.Identity()
	ib, _ := b.Identity()
	diffs, err := ConfigDiff(ia.Config, ib.Config)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(diffs, "\n")
	for _, want := range []string{"policy.eta: 5 -> 20", "max_turns: 20 -> 4", "policy.horizon: 19 -> 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if len(diffs) != 3 {
		t.Errorf("diff lists %d settings, want 3:\n%s", len(diffs), got)
	}
	if d, _ := ConfigDiff(ia.Config, ia.Config); len(d) != 0 {
		t.Errorf("identical configurations differ: %v", d)
	}
}

// Golden fingerprints of the default runs. If this fails, a change altered the fingerprint of
// configurations that already exist, and every tag bound to them would be refused after the
// upgrade: register a new setting in addedLater with its introduction default instead. The sim
// fingerprint is also the one also gave before sim.SharedPref existed (checked at 456d9eb^), and
// the legacy one what it gave from then until addedLater.
func TestDefaultFingerprintsAreStable(t *testing.T) {
	live := DefaultRun()
	live.Model = "openai/gpt-4o-mini"
	for name, c := range map[string]struct {
		run         Run
		want, prior string // prior: the fingerprint the first canonical form gave (Identity.Legacy)
	}{
		"sim":  {DefaultRun(), "23cda3fc1f61c32e0d00a382cf1dedf7da948904278dd7d4a2fe695df2573ebb", "34abebdc29714348e7423fbd5ed27254b5a57b2ee65c3869867bf5b83f9dec81"},
		"live": {live, "9d01e34a047353da69ed507171cf9980023977eba4d36a69acfe42d1b43714d1", ""},
	} {
		id, err := c.run.Identity()
		if err != nil {
			t.Fatal(err)
		}
		if id.Fingerprint != c.want || id.Legacy != c.prior {
			t.Errorf("%s: fingerprint %s (legacy %q), want %s (legacy %q); canonical form:\n%s",
				name, id.Fingerprint, id.Legacy, c.want, c.prior, id.Config)
		}
		if short := c.run.DefaultTag()[len(c.run.DefaultTag())-8:]; short != (c.prior + c.want)[:8] {
			t.Errorf("%s: the derived tag carries %s, want %s (the fingerprint the configuration had first)", name, short, (c.prior + c.want)[:8])
		}
		if !id.Binds(c.want) || (c.prior != "" && !id.Binds(c.prior)) || id.Binds(strings.Repeat("0", 64)) {
			t.Errorf("%s: Binds accepts the wrong fingerprints", name)
		}
	}
}

// Adding a setting registered with its introduction default leaves every fingerprint as it was;
// moving it off that default changes the fingerprint. Shown on two versions of a settings struct.
func TestLaterSettingAtItsDefaultKeepsTheFingerprint(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	type v1 struct {
		Seed  int   `json:"seed"`
		Inner inner `json:"inner"`
	}
	type innerV2 struct {
		A     int     `json:"a"`
		Noise float64 `json:"noise"`
	}
	type v2 struct {
		Seed   int     `json:"seed"`
		Inner  innerV2 `json:"inner"`
		Agent  string  `json:"agent"`
		Strict bool    `json:"strict"`
	}
	later := []laterSetting{{path: "inner.noise", introDefault: 0.25}, {path: "agent", introDefault: "llm"}, {path: "strict", introDefault: false}}
	old, _, err := canonicalIdentity(v1{Seed: 7, Inner: inner{A: 2}}, true, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	upgraded := v2{Seed: 7, Inner: innerV2{A: 2, Noise: 0.25}, Agent: "llm"}
	got, _, err := canonicalIdentity(upgraded, true, later, false)
	if err != nil || got != old {
		t.Fatalf("the new settings at their introduction defaults changed the fingerprint: %s vs %s (%v)", got, old, err)
	}
	for name, change := range map[string]func(*v2){
		"inner.noise": func(v *v2) { v.Inner.Noise = 0.5 },
		"agent":       func(v *v2) { v.Agent = "script" },
		"strict":      func(v *v2) { v.Strict = true },
	} {
		v := upgraded
		change(&v)
		if fp, _, _ := canonicalIdentity(v, true, later, false); fp == old {
			t.Errorf("changing %s off its introduction default kept the old fingerprint", name)
		}
	}
	// The real registry: sim.SharedPref at 0 is absent from the canonical form, otherwise present.
	r := DefaultRun()
	id, _ := r.Identity()
	r.Sim.SharedPref = 0.3
	moved, _ := r.Identity()
	if strings.Contains(string(id.Config), "SharedPref") || !strings.Contains(string(moved.Config), `"SharedPref":0.3`) || moved.Fingerprint == id.Fingerprint {
		t.Errorf("sim.SharedPref: at its default %s; at 0.3 %s", id.Config, moved.Config)
	}
}

// Every addedLater entry names a setting that exists and is part of the identity (a stale or
// misspelt entry would silently stop protecting the fingerprints).
func TestAddedLaterNamesIdentitySettings(t *testing.T) {
	paths := map[string]bool{}
	for _, p := range SettingsPaths() {
		paths[p] = true
	}
	seen := map[string]bool{}
	for _, l := range addedLater {
		if !paths[l.path] || !(IsIdentitySetting(l.path, true) || IsIdentitySetting(l.path, false)) {
			t.Errorf("addedLater lists %s, which is not an identity setting", l.path)
		}
		if seen[l.path] {
			t.Errorf("addedLater lists %s twice", l.path)
		}
		seen[l.path] = true
	}
}

// A tag bound with the first canonical form (sim.SharedPref hashed at 0) differs from the current
// form of the same run in no setting: ConfigDiff (the refusal message, also eval) stays quiet.
func TestConfigDiffIgnoresIntroDefaults(t *testing.T) {
	r := DefaultRun()
	_, legacy, err := canonicalIdentity(r.resolved(), true, addedLater, true)
	if err != nil || !strings.Contains(string(legacy), `"SharedPref":0`) {
		t.Fatalf("legacy form %s: %v", legacy, err)
	}
	id, _ := r.Identity()
	if d, err := ConfigDiff(legacy, id.Config); err != nil || len(d) != 0 {
		t.Errorf("legacy vs current form of one run differ: %v %v", d, err)
	}
	r.Sim.SharedPref = 0.4
	moved, _ := r.Identity()
	if d, _ := ConfigDiff(legacy, moved.Config); len(d) != 1 || d[0] != "sim.SharedPref: 0 -> 0.4" {
		t.Errorf("diff %v, want sim.SharedPref: 0 -> 0.4", d)
	}
	live := DefaultRun()
	live.Model = "openai/gpt-4o-mini"
	lid, _ := live.Identity()
	if d, _ := ConfigDiff(lid.Config, lid.Config); len(d) != 0 {
		t.Errorf("a live configuration differs from itself: %v", d)
	}
}

package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia/live"
)

// Run identity. A tag names one configuration: every episode stored under it was played with the
// same settings, so `also eval` of a tag never averages two experiments. The identity is the
// canonical JSON of the resolved Run (defaults filled in, as the run uses them) minus the
// settings below, which cannot change what an episode contains. It is computed from the struct
// generically, so a new field counts unless it is listed here (and a test insists that every
// field is classified one way or the other).
//
// Rule for a new setting (so an upgrade never orphans the tags made before it): give it a
// default that reproduces the old behaviour and register it in addedLater with that default.
// While a run holds it, the setting is left out of the canonical form, so every fingerprint made
// before the setting existed stays the same; a run that changes it gets a new fingerprint, as it
// should. A golden test (config/identity_test.go) pins the default fingerprints: if it fails, a
// change altered existing fingerprints — register the new setting instead of updating the hash.
//
// Decisions:
//   - Task selection (subset, tasks, max_episodes) is not identity: it picks WHICH episodes run,
//     not how they play (each episode's seed comes from the run seed, the task and the attempt).
//     A later --resume may widen a tag's task set.
//   - Models count in full ("openrouter/x/b" and "openai/b" differ), except the base URL of a
//     custom model: "custom/qwen@http://a/v1" and "custom/qwen@http://b/v1" are one model served
//     from two places, so moving the server keeps the tag. Name different weights differently.
//   - The sim world's settings count only in the sim world; the LLM settings (models,
//     temperature, max tokens) only in a live one.
//   - Transport, storage, cost and concurrency settings never change an episode's content.
var notIdentity = map[string]string{
	"subset":          "selects tasks, not how they play",
	"tasks":           "selects tasks, not how they play",
	"max_episodes":    "selects tasks, not how they play",
	"batch_size":      "concurrency",
	"max_retries":     "how often a failed task is retried, not what an attempt contains",
	"tag":             "the name the identity is bound to",
	"out":             "where the run folder goes",
	"resume":          "whether stored tasks are skipped",
	"step_timeout":    "a watchdog",
	"llm_cache":       "a replayed answer is the recorded one",
	"cache_dir":       "where the cache lives",
	"budget_usd":      "when to stop starting episodes",
	"prices":          "cost accounting",
	"llm_concurrency": "transport",
	"llm_rpm":         "transport",
	"llm_tpm":         "transport",
	"llm_limits":      "transport",
	"llm_timeout":     "transport",
	"llm_attempts":    "transport",
	"llm_retry_delay": "transport",
	"store":           "where episodes are stored",
	"policy_out":      "where the policies' final state is written",
}

// addedLater are the settings introduced after fingerprints were first handed out, each with its
// introduction default: the value that plays as the versions before it did. A setting at that
// value is omitted from the canonical form (see the rule above). Paths are as in SettingsPaths.
var addedLater = []laterSetting{
	// At 0 the canonical form has no SharedPref key, as before the setting existed; it was hashed
	// for a while before this rule, and inLegacy keeps the tags bound then resumable.
	{path: "sim.SharedPref", introDefault: 0, inLegacy: true},
}

// laterSetting is one addedLater entry. inLegacy marks a setting that the first canonical form
// (every field, before addedLater existed) already hashed: Identity.Legacy keeps it, so a tag
// bound by such a version is recognised. Settings added from now on leave it false.
type laterSetting struct {
	path         string
	introDefault any
	inLegacy     bool
}

// liveOnly are the identity settings that only a live (LLM) world reads; simOnly only the sim world.
var (
	liveOnly = []string{"model", "p1_model", "p2_model", "reward_eval_model", "terminal_eval_model", "embedding_model",
		"temperature", "max_tokens", "judge_prompt", "openrouter_provider", "optimizer_model"}
	simOnly = []string{"sim"}
)

// Identity is a run's configuration identity: the canonical JSON of every setting that can
// change results, and its sha256.
type Identity struct {
	Fingerprint string          // hex sha256 of Config
	Config      json.RawMessage // canonical JSON: sorted keys, no whitespace
	// Legacy is the fingerprint the same configuration had under the first canonical form (every
	// field hashed); a tag bound by such a version carries it. "" when it equals Fingerprint.
	Legacy string
}

// Binds reports whether a tag bound to the fingerprint fp holds this configuration: the current
// fingerprint, or the legacy one of the same settings. A different configuration never matches.
func (id Identity) Binds(fp string) bool {
	return fp == id.Fingerprint || (id.Legacy != "" && fp == id.Legacy)
}

// Short is what derived tags carry: the first 8 hex digits of the fingerprint, or of the legacy
// one when the configuration has it, so that an upgrade never changes a derived tag (a --resume
// or an experiment without --tag finds the tag it made before).
func (id Identity) Short() string {
	fp := id.Fingerprint
	if id.Legacy != "" {
		fp = id.Legacy
	}
	return fp[:min(8, len(fp))]
}

// Identity computes the run's configuration identity (see notIdentity for what is left out, and
// addedLater for what is left out while it holds its introduction default).
func (r Run) Identity() (Identity, error) {
	fp, canon, err := canonicalIdentity(r.resolved(), r.IsSim(), addedLater, false)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Fingerprint: fp, Config: canon}
	if legacy, _, err := canonicalIdentity(r.resolved(), r.IsSim(), addedLater, true); err == nil && legacy != fp {
		id.Legacy = legacy
	}
	return id, nil
}

// canonicalIdentity is the canonical JSON of a resolved settings struct and its sha256: the
// excluded keys dropped, then each later setting that holds its introduction default (in the
// legacy form, only those the first form did not hash yet).
func canonicalIdentity(resolved any, sim bool, later []laterSetting, legacy bool) (string, json.RawMessage, error) {
	raw, err := json.Marshal(resolved)
	if err != nil {
		return "", nil, fmt.Errorf("configuration cannot be fingerprinted: %w", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers keep Go's exact text, so the hash does not go through float64 again
	if err := dec.Decode(&doc); err != nil {
		return "", nil, err
	}
	for key := range notIdentity {
		delete(doc, key)
	}
	unused := liveOnly
	if !sim {
		unused = simOnly
	}
	for _, key := range unused {
		delete(doc, key)
	}
	for _, l := range later {
		if legacy && l.inLegacy {
			continue
		}
		if err := dropIfDefault(doc, l); err != nil {
			return "", nil, err
		}
	}
	canon, err := json.Marshal(doc) // maps marshal with sorted keys
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), canon, nil
}

// dropIfDefault removes a later setting from the document when its JSON text is its
// introduction default's. A setting absent from the document (another world's) is left alone.
func dropIfDefault(doc map[string]any, l laterSetting) error {
	parts := strings.Split(l.path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := doc[p].(map[string]any)
		if !ok {
			return nil
		}
		doc = next
	}
	leaf := parts[len(parts)-1]
	v, ok := doc[leaf]
	if !ok {
		return nil
	}
	have, err := json.Marshal(v)
	if err != nil {
		return err
	}
	want, err := json.Marshal(l.introDefault)
	if err != nil {
		return fmt.Errorf("introduction default of %s: %w", l.path, err)
	}
	if bytes.Equal(have, want) {
		delete(doc, leaf)
	}
	return nil
}

// resolved is the run as it is played: the policy's horizon and context flag derived as the
// session derives them, every live role's model filled in (the paper's judges and embedder when
// unset; "" for roles a run never calls), custom models without their base URL.
func (r Run) resolved() Run {
	r.Policy.Horizon = max(1, r.MaxTurns-1)
	r.Policy.ALSO.UseContext = r.UseContext
	r.P1Agent, r.P2Agent = agentIdentity(r.P1Agent), agentIdentity(r.P2Agent)
	r.PolicyIn = policyInIdentity(r.PolicyIn)
	if r.IsSim() {
		return r
	}
	r.P1Model, r.P2Model, r.Model = modelIdentity(r.SeatModel(0)), modelIdentity(r.SeatModel(1)), ""
	opt, _ := r.Optimised()
	perTurn := opt[0] || opt[1] // the per-turn judge and the embedder serve optimised seats only
	pick := func(given, paper string) string {
		switch {
		case !perTurn:
			return ""
		case given == "":
			return paper
		}
		return modelIdentity(given)
	}
	r.RewardEvalModel = pick(r.RewardEvalModel, live.DefaultRewardEvalModel)
	r.EmbeddingModel = pick(r.EmbeddingModel, live.DefaultEmbeddingModel)
	if r.TerminalEvalModel == "" {
		r.TerminalEvalModel = live.DefaultTerminalEvalModel
	}
	r.TerminalEvalModel = modelIdentity(r.TerminalEvalModel)
	return r
}

// agentIdentity is a seat-agent setting as it plays: "" for the default llm, a script by the
// sha256 of its text (editing the file changes the tag; moving it does not).
func agentIdentity(setting string) string {
	s := strings.TrimSpace(setting)
	if s == "" || s == agents.KindLLM {
		return ""
	}
	if file, ok := strings.CutPrefix(s, agents.KindScript+":"); ok {
		if text, err := os.ReadFile(file); err == nil {
			sum := sha256.Sum256(text)
			return agents.KindScript + ":sha256:" + hex.EncodeToString(sum[:])
		}
	}
	return s
}

// PolicyCheckpointFile is a seat's checkpoint file in a --policy-in / --policy-out folder.
func PolicyCheckpointFile(seat int) string { return fmt.Sprintf("p%d.json", seat+1) }

// policyInIdentity is a --policy-in folder as it plays: the sha256 of its seat checkpoints'
// contents (the same state from another folder is the same run; a retrained one is not).
func policyInIdentity(dir string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	found := false
	for seat := range 2 {
		name := PolicyCheckpointFile(seat)
		if text, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			sum := sha256.Sum256(text)
			fmt.Fprintf(h, "%s:%x\n", name, sum)
			found = true
		}
	}
	if !found {
		return dir // nothing to read: the run itself will say so
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// modelIdentity is a model name without a custom model's base URL (where it runs, not what it is).
func modelIdentity(name string) string {
	if rest, ok := strings.CutPrefix(name, string(llm.ProviderCustom)+"/"); ok {
		model, _, _ := strings.Cut(rest, "@")
		return string(llm.ProviderCustom) + "/" + model
	}
	return name
}

// ConfigDiff lists, key by key ("policy.eta: 5 -> 20"), the settings in which two identity
// configurations (Identity.Config) differ: what a tag was bound to, then what this run has.
func ConfigDiff(bound, this json.RawMessage) ([]string, error) {
	flat := func(raw json.RawMessage) (map[string]string, error) {
		var doc any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("run configuration: %w", err)
		}
		out := map[string]string{}
		flatten("", doc, out)
		withIntroDefaults(out)
		return out, nil
	}
	a, err := flat(bound)
	if err != nil {
		return nil, err
	}
	b, err := flat(this)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for _, k := range unionKeys(a, b) {
		va, okA := a[k]
		vb, okB := b[k]
		if okA && okB && va == vb {
			continue
		}
		if !okA {
			va = "(absent)"
		}
		if !okB {
			vb = "(absent)"
		}
		diffs = append(diffs, fmt.Sprintf("%s: %s -> %s", k, va, vb))
	}
	return diffs, nil
}

// withIntroDefaults puts back the later settings a canonical form leaves out at their
// introduction default, so a configuration bound before a setting existed (or with it hashed,
// Identity.Legacy) shows no difference in it. Only settings of the document's world are added.
func withIntroDefaults(flat map[string]string) {
	sim := false
	for k := range flat {
		if strings.HasPrefix(k, "sim.") {
			sim = true
			break
		}
	}
	for _, l := range addedLater {
		if _, ok := flat[l.path]; ok || !IsIdentitySetting(l.path, sim) {
			continue
		}
		if b, err := json.Marshal(l.introDefault); err == nil {
			flat[l.path] = string(b)
		}
	}
}

// flatten maps nested objects to dotted keys; other values keep their JSON text.
func flatten(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	b, _ := json.Marshal(v)
	out[prefix] = string(b)
}

func unionKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// SettingsPaths lists every leaf setting of a Run as it appears in its JSON (dotted paths such as
// "policy.also.epochs", "sim.Dim"); maps count as one leaf. Secrets (json:"-") are not listed.
func SettingsPaths() []string {
	var out []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			if f.Type.Kind() == reflect.Struct && f.Type.NumField() > 0 && !f.Type.Implements(textMarshaler) {
				walk(path, f.Type)
				continue
			}
			out = append(out, path)
		}
	}
	walk("", reflect.TypeFor[Run]())
	sort.Strings(out)
	return out
}

var textMarshaler = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()

// IsIdentitySetting reports whether a settings path (SettingsPaths) is part of the identity in the
// given world (sim or live).
func IsIdentitySetting(path string, sim bool) bool {
	top, _, _ := strings.Cut(path, ".")
	if _, excluded := notIdentity[top]; excluded {
		return false
	}
	unused := liveOnly
	if !sim {
		unused = simOnly
	}
	for _, k := range unused {
		if k == top {
			return false
		}
	}
	return true
}

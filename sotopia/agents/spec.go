package agents

import (
	"fmt"
	"os"
	"strings"
)

// Kinds of seat agent.
const (
	KindLLM      = "llm"
	KindScripted = "scripted"
	KindScript   = "script"
	KindSwitch   = "switch"
)

// Spec is a parsed seat-agent setting. Exactly one of Behaviour, Script, Switch is set for the
// kinds that need it; a registered agent keeps its argument in Arg.
type Spec struct {
	Kind      string
	Arg       string // the text after "kind:" as given
	Behaviour Behaviour
	Script    *Script
	Switch    *Switch
}

// String is the setting as given ("llm" for the zero Spec).
func (s Spec) String() string {
	if s.Kind == "" {
		return KindLLM
	}
	if s.Arg == "" {
		return s.Kind
	}
	return s.Kind + ":" + s.Arg
}

// IsLLM reports whether the seat plays the world's own agent.
func (s Spec) IsLLM() bool { return s.Kind == "" || s.Kind == KindLLM }

// Parse reads a seat-agent setting; key names the flag or run-file key in errors. "" means llm.
// A script file is read and validated now, so a bad file stops the run before it starts.
func Parse(key, setting string) (Spec, error) {
	kind, arg, _ := strings.Cut(strings.TrimSpace(setting), ":")
	spec := Spec{Kind: kind, Arg: arg}
	switch kind {
	case "", KindLLM:
		if arg != "" {
			return Spec{}, fmt.Errorf("%s = %q: llm takes no argument (the seat's model is p1_model/p2_model)", key, setting)
		}
		return Spec{Kind: KindLLM}, nil
	case KindScripted:
		b := Behaviour(arg)
		if !b.Valid() {
			return Spec{}, fmt.Errorf("%s = %q: scripted behaviour %q unknown (want one of %s)", key, setting, arg, behaviourList())
		}
		spec.Behaviour = b
	case KindScript:
		if arg == "" {
			return Spec{}, fmt.Errorf("%s = %q: script needs a file (script:FILE)", key, setting)
		}
		text, err := os.ReadFile(arg)
		if err != nil {
			return Spec{}, fmt.Errorf("%s: %w", key, err)
		}
		sc, err := ParseScript(arg, string(text))
		if err != nil {
			return Spec{}, fmt.Errorf("%s: %w", key, err)
		}
		spec.Script = sc
	case KindSwitch:
		sw, err := ParseSwitch(arg)
		if err != nil {
			return Spec{}, fmt.Errorf("%s = %q: %w", key, setting, err)
		}
		spec.Switch = sw
	default:
		if _, ok := lookup(kind); !ok {
			return Spec{}, fmt.Errorf("%s = %q: unknown agent %q (want llm, scripted:%s, script:FILE, switch:MODEL@TURN,... or a registered agent%s)",
				key, setting, kind, strings.Join(behaviourNames(), "|"), registeredList())
		}
	}
	return spec, nil
}

package sotopia

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The embedded templates are the artifact's exact bytes: the checksums recorded in
// data/also-prompts/README.md (taken from the transcription) must hold, so an editor that trims
// a trailing space or adds a final newline fails here.
func TestALSOTemplateBytes(t *testing.T) {
	readme, err := os.ReadFile("data/also-prompts/README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| (\S+\.txt) \|.*\| ([0-9a-f]{64}) \|$`).FindAllStringSubmatch(string(readme), -1)
	if len(rows) != 16 {
		t.Fatalf("README lists %d checksums, want 16", len(rows))
	}
	for _, r := range rows {
		b, err := alsoPromptFS.ReadFile("data/also-prompts/" + r[1])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != r[2] {
			t.Errorf("%s: sha256 %s, README says %s", r[1], got, r[2])
		}
	}
	if len(alsoJudgeFormatInstructions) != 5961 || len(alsoActionFormatInstructions) != 516 {
		t.Errorf("format instructions are %d and %d bytes, want 5961 and 516", len(alsoJudgeFormatInstructions), len(alsoActionFormatInstructions))
	}
}

func TestParseEraAndJudgePrompts(t *testing.T) {
	for _, s := range []string{"also", "benchmark", "2023"} {
		if e, err := ParseEra(s); err != nil || string(e) != s {
			t.Errorf("ParseEra(%q) = %q, %v", s, e, err)
		}
	}
	if _, err := ParseEra(""); err == nil {
		t.Error("empty era accepted")
	}
	if Eras[0] != EraALSO {
		t.Error("the default era is not listed first")
	}
	for _, s := range []string{"also", "sotopia"} {
		if p, err := ParseJudgePrompts(s); err != nil || string(p) != s {
			t.Errorf("ParseJudgePrompts(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := ParseJudgePrompts("stock"); err == nil || !strings.Contains(err.Error(), "also or sotopia") {
		t.Errorf("unknown judge prompt: %v", err)
	}
	s := &Setup{Env: &EnvironmentProfile{AgentGoals: []string{"a", "b"}}, Agents: [2]*AgentProfile{{FirstName: "A"}, {FirstName: "B"}}, MaxTurns: 1, Era: EraALSO}
	if err := s.Validate(); err != nil {
		t.Errorf("era also rejected: %v", err)
	}
	s.Era = "2024"
	if err := s.Validate(); err == nil {
		t.Error("unknown era accepted")
	}
}

// The artifact renders the context block, the environment view and the termination rules as the
// benchmark era does; only the prompts around them differ.
func TestEraALSORendersLikeBenchmark(t *testing.T) {
	d := MustEmbedded()
	tasks, _ := d.Subset("hard")
	for _, task := range tasks[:5] {
		env, agents, err := d.Resolve(task)
		if err != nil {
			t.Fatal(err)
		}
		a := &Setup{Env: env, Agents: agents, Era: EraALSO, MaxTurns: 20}
		b := &Setup{Env: env, Agents: agents, Era: EraBenchmark, MaxTurns: 20}
		for seat := range Seats {
			if a.ContextFor(seat, "x\n  y") != b.ContextFor(seat, "x\n  y") {
				t.Errorf("%s seat %d: contexts differ", task.PK, seat)
			}
		}
		if a.EnvironmentContext() != b.EnvironmentContext() {
			t.Errorf("%s: environment contexts differ", task.PK)
		}
	}
	ea, eb := newTestEnv(t, EraALSO, 3), newTestEnv(t, EraBenchmark, 3)
	for turn := range 3 {
		act := AgentAction{ActionType: ActionSpeak, Argument: "hi"}
		_, da, ra, _ := ea.Step(turn%2, act)
		_, db, rb, _ := eb.Step(turn%2, act)
		if da != db || ra != rb {
			t.Fatalf("turn %d: also done=%v %q, benchmark done=%v %q", turn+1, da, ra, db, rb)
		}
	}
}

func TestALSOActionPromptLayout(t *testing.T) {
	history := "\nHere is the context of this interaction:\nScenario: s\n  indented\nConversation Starts:\n"
	p := ActionPromptFor(EraALSO, "Bo Li", history, 3, []ActionType{ActionSpeak, ActionLeave})
	for _, want := range []string{
		"Imagine you are Bo Li, your task is to act/speak as Bo Li would, keeping in mind Bo Li's social goal.\nYou can find Bo Li's goal (or background)",
		"\n" + history + ".\nYou are at Turn #3. Your available action types are\nspeak leave.\nNote: You can \"leave\"",
		"IMPORTANT:Do not Reapet the format instructions.",
		"Your action should follow the given format:\n" + alsoActionFormatInstructions,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("action prompt lacks %q", want)
		}
	}
	if !strings.HasPrefix(p, "Imagine you are Bo Li,") || !strings.HasSuffix(p, alsoActionFormatInstructions) {
		t.Errorf("action prompt not trimmed as format_docstring does: %q...%q", p[:20], p[len(p)-20:])
	}
	if ActionFormatInstructionsFor(EraALSO) != alsoActionFormatInstructions || ActionFormatInstructionsFor(EraBenchmark) != ActionFormatInstructions() {
		t.Error("format instructions per era")
	}
}

// agenerate fills placeholders one str.replace at a time in input order: a history quoting a later
// placeholder is filled too (the artifact's behaviour), an earlier one stays literal. The Sotopia
// eras keep the single-pass substitution their golden tests fix.
func TestALSOPromptsReplaceInTheArtifactsOrder(t *testing.T) {
	p := ActionPromptFor(EraALSO, "Bo", "say {agent} {action_list}", 1, []ActionType{ActionSpeak})
	if !strings.Contains(p, "\nsay {agent} speak.\n") {
		t.Errorf("agent prompt: %q", p)
	}
	j := TurnJudgePrompt(JudgePromptsALSO, "h {format_instructions}")
	if !strings.HasPrefix(j, "h "+alsoJudgeFormatInstructions+"\nBased on previous interactions") {
		t.Errorf("judge prompt: %q", j[:60])
	}
	if b := ActionPromptFor(EraBenchmark, "Bo", "say {action_list}", 1, []ActionType{ActionSpeak}); !strings.Contains(b, "say {action_list}.") {
		t.Error("benchmark era substitutes inside the history")
	}
}

func TestALSOJudgePromptLayouts(t *testing.T) {
	h := "Here is the context\nTurn #1\nA said: \"hi\""
	turn := TurnJudgePrompt(JudgePromptsALSO, h)
	wantTurn := h + "\nBased on previous interactions, evaluate how well participants achieve their goals.\nOutput format:\n" +
		alsoJudgeFormatInstructions + "\nCRITICAL INSTRUCTIONS:\n1. Output ONLY a valid JSON object\n" +
		"2. DO NOT repeat or copy the schema definition above\n3. Replace the placeholder values with actual evaluation scores and reasoning"
	if turn != wantTurn {
		t.Errorf("per-turn judge:\n%q\nwant\n%q", turn, wantTurn)
	}
	episode := EpisodeJudgePrompt(JudgePromptsALSO, h)
	wantEpisode := h + ",\nBased on previous interactions, evaluate how well participants achieve their goals.\nPlease following the format:\n" +
		alsoJudgeFormatInstructions + "\nIMPORTANT:Do not Reapet the format instructions. Output ONLY the JSON object. Do not include any other text, markdown formatting."
	if episode != wantEpisode {
		t.Errorf("terminal judge:\n%q\nwant\n%q", episode, wantEpisode)
	}
	if TurnJudgePrompt(JudgePromptsSotopia, h) != JudgePrompt(h) || EpisodeJudgePrompt(JudgePromptsSotopia, h) != JudgePrompt(h) {
		t.Error("sotopia judge prompts are not the stock prompt")
	}
}

func TestALSOReformatPrompt(t *testing.T) {
	got := ReformatPromptFor(EraALSO, "{format_instructions} oops", "FI")
	want := "\n    Given the string that can not be parsed by json parser, reformat it to a string that can be parsed by json parser.\n" +
		"    Original string: {format_instructions} oops\n\n    Format instructions: FI\n\n" +
		"    Please only generate the pure JSON without any additional text.  \n" +
		"    IMPORTANT:Do not Reapet the format instructions. Output ONLY the JSON object. Do not include any other text, markdown formatting.\n    "
	if got != want {
		t.Errorf("reformat prompt:\n%q\nwant\n%q", got, want)
	}
	if ReformatPromptFor(EraBenchmark, "x", "FI") != ReformatPrompt("x", "FI") {
		t.Error("benchmark reformat prompt changed")
	}
}

func TestCleanJSONResponse(t *testing.T) {
	for in, want := range map[string]string{
		"  {\"a\": 1}\n":                  `{"a": 1}`,
		"```json\n{\"a\": 1}\n```":        `{"a": 1}`,
		"```\n{\"a\": 1}\n```  ":          `{"a": 1}`,
		"```json {\"a\": 1}```":           `{"a": 1}`,
		"```json\n  text \n\n```":         "text",
		"Here:\n```json\n{\"a\": 1}\n```": "Here:\n```json\n{\"a\": 1}\n```", // not one whole fence
		"```json\n{}\n``` trailing":       "```json\n{}\n``` trailing",
	} {
		if got := CleanJSONResponse(in); got != want {
			t.Errorf("CleanJSONResponse(%q) = %q, want %q", in, got, want)
		}
	}
}

// alsoEvaluation is a reply in the shape the artifact's schema asks for:
// EvaluationForTwoAgents[SotopiaDimensions], every dimension a [reasoning, score] pair.
func alsoEvaluation(scores [Seats]Scores) map[string]any {
	out := map[string]any{}
	for seat := range Seats {
		dims := map[string]any{}
		for d, info := range Dimensions {
			dims[info.Key] = []any{fmt.Sprintf("<naturalness> seat %d %s", seat+1, info.Key), scores[seat][d]}
		}
		out[fmt.Sprintf("agent_%d_evaluation", seat+1)] = dims
	}
	return out
}

// The judge parser accepts what the ALSO prompts produce: the schema's own shape, fenced or not,
// the values written into a copy of the schema under "properties" (the artifact's parser
// validates d["properties"] when present), and refuses the bare schema echoed back.
func TestParseEvaluationALSOSchemaReplies(t *testing.T) {
	want := [Seats]Scores{{8, 3, 5, -1, 0, 2, 7}, {6, -2, 4, 0, -3, -1, 9}}
	plain, _ := json.Marshal(alsoEvaluation(want))

	var schema map[string]any
	if err := json.Unmarshal([]byte(alsoJudgeFormatInstructions), &schema); err != nil {
		t.Fatal(err)
	}
	schema["properties"] = alsoEvaluation(want)
	echoed, _ := json.Marshal(schema)

	for name, reply := range map[string]string{
		"plain":            string(plain),
		"fenced":           "```json\n" + string(plain) + "\n```",
		"schema with data": string(echoed),
		"prose around":     "Here is my evaluation:\n" + string(plain) + "\nThanks.",
	} {
		ev, err := ParseEvaluation(reply)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ev.Scores != want {
			t.Errorf("%s: scores %v, want %v", name, ev.Scores, want)
		}
		if ev.Reasoning[1][Goal] != "<naturalness> seat 2 goal" {
			t.Errorf("%s: reasoning %q", name, ev.Reasoning[1][Goal])
		}
	}
	if _, err := ParseEvaluation(alsoJudgeFormatInstructions); err == nil {
		t.Error("the bare schema was accepted as a verdict")
	}
	out := alsoEvaluation(want)
	out["agent_2_evaluation"].(map[string]any)["secret"] = []any{"leaked", 3}
	bad, _ := json.Marshal(out)
	if _, err := ParseEvaluation(string(bad)); err == nil || !strings.Contains(err.Error(), "agent 2 secret") {
		t.Errorf("out-of-range secret: %v", err)
	}
}

func TestOptimiserPromptLists(t *testing.T) {
	if n := len(PromptBreederMutationPrompts); n != 56 {
		t.Errorf("%d mutation prompts, want 56", n)
	}
	if n := len(PromptBreederThinkingStyles); n != 39 {
		t.Errorf("%d thinking styles, want 39", n)
	}
	for _, l := range append(append([]string{}, PromptBreederMutationPrompts...), PromptBreederThinkingStyles...) {
		if l == "" || strings.Contains(l, "\n") {
			t.Errorf("bad list element %q", l)
		}
	}
	if !strings.Contains(OPROMetaPrompt, "{instruction_score_pairs}") || !strings.HasSuffix(EvoPromptGA, "1. ") ||
		!strings.Contains(PromptBreederMutation, "## Mutation Guidance: \n{mutation_prompt}") {
		t.Error("optimiser templates lost their placeholders or trailing bytes")
	}
}

func TestStrategyOf(t *testing.T) {
	bg := "Ann is a 30-year-old nurse."
	seed := ArmText(bg, Strategy{Description: "Offer help first."})
	for _, c := range []struct{ text, want string }{
		{seed, "Offer help first."},
		{bg, ""},
		{bg + "\nListen, then ask.", "Listen, then ask."},
		{"A rewritten persona who listens.", "A rewritten persona who listens."},
	} {
		if got := StrategyOf(bg, c.text); got != c.want {
			t.Errorf("StrategyOf(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

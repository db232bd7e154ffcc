package sotopia

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// schemaOf returns the JSON schema inside LangChain-style format instructions, decoded.
func schemaOf(t *testing.T, instructions string) map[string]any {
	t.Helper()
	const open, close = "Here is the output schema:\n```\n", "\n```"
	i := strings.Index(instructions, open)
	if i < 0 || !strings.HasSuffix(instructions, close) {
		t.Fatalf("format instructions have no fenced schema: %q", instructions)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(instructions[i+len(open):len(instructions)-len(close)]), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return schema
}

func TestJudgePromptLayout(t *testing.T) {
	history := "Here is the context of this interaction:\nScenario: x\nTurn #1\nA said: \"hi\""
	p := JudgePrompt(history)
	want := history + ",\nBased on previous interactions, evaluate how well participants achieve their goals.\nPlease following the format:\n" + JudgeFormatInstructions()
	if p != want {
		t.Errorf("JudgePrompt layout:\n%q\nwant\n%q", p, want)
	}
	// The history is inserted verbatim, once; placeholder-like text inside it stays literal.
	if got := JudgePrompt("{format_instructions}"); !strings.HasPrefix(got, "{format_instructions},\n") {
		t.Errorf("history was substituted again: %q", got[:40])
	}
}

var rubricRange = regexp.MustCompile(`ranging from (-?\d+) (?:and|to) (-?\d+)`)

// TestJudgeSchemaMatchesDimensions ties the schema the judge sees to scores.go: the seven
// dimensions in order, all required, [string, integer] pairs, and a rubric whose stated range is
// the range ParseEvaluation enforces.
func TestJudgeSchemaMatchesDimensions(t *testing.T) {
	schema := schemaOf(t, JudgeFormatInstructions())
	if got := fmt.Sprint(schema["required"]); got != "[agent_1_evaluation agent_2_evaluation]" {
		t.Errorf("required = %s", got)
	}
	def := schema["definitions"].(map[string]any)[judgeSchemaName].(map[string]any)
	props := def["properties"].(map[string]any)
	required := def["required"].([]any)
	if len(props) != int(NumDimensions) || len(required) != int(NumDimensions) {
		t.Fatalf("%d properties, %d required, want %d", len(props), len(required), NumDimensions)
	}
	for i, d := range Dimensions {
		if required[i] != d.Key {
			t.Errorf("required[%d] = %v, want %s", i, required[i], d.Key)
		}
		p, ok := props[d.Key].(map[string]any)
		if !ok {
			t.Fatalf("no property %s", d.Key)
		}
		if got := fmt.Sprint(p["items"]); got != "[map[type:string] map[type:integer]]" {
			t.Errorf("%s items = %s", d.Key, got)
		}
		m := rubricRange.FindStringSubmatch(p["description"].(string))
		if m == nil {
			t.Fatalf("%s rubric states no range", d.Key)
		}
		lo, _ := strconv.ParseFloat(m[1], 64)
		hi, _ := strconv.ParseFloat(m[2], 64)
		if lo != d.Min || hi != d.Max {
			t.Errorf("%s rubric says [%v, %v], scores.go says [%v, %v]", d.Key, lo, hi, d.Min, d.Max)
		}
	}
	// The schema is written in pydantic's key order, which json.Unmarshal cannot see.
	if !strings.Contains(JudgeFormatInstructions(), "```\n{\"properties\": {\"agent_1_evaluation\": {\"$ref\": \"#/definitions/EvaluationBySocialDimensions\"}") {
		t.Error("schema does not start with pydantic's property order")
	}
}

func paperJudgeOutput(scores [Seats]Scores) string {
	var b strings.Builder
	b.WriteString("{")
	for seat := range Seats {
		if seat > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"agent_%d_evaluation": {`, seat+1)
		for d, info := range Dimensions {
			if d > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"%s": ["seat %d %s reasoning", %v]`, info.Key, seat+1, info.Abbrev, scores[seat][d])
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

var sampleScores = [Seats]Scores{{10, 4, 0, 0, 0, -3, 10}, {8, -2, 7, -1, -4, 5, 3}}

func TestParseEvaluationPaperShape(t *testing.T) {
	ev, err := ParseEvaluation(paperJudgeOutput(sampleScores))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Scores != sampleScores {
		t.Errorf("scores %v, want %v", ev.Scores, sampleScores)
	}
	if got := ev.Scores[0].Overall(); got != 3 { // sotopia.md 3.3 worked check: 21/7
		t.Errorf("overall %v, want 3", got)
	}
	want := "Agent 1 comments:\nbelievability: seat 1 BEL reasoning\nrelationship: seat 1 REL reasoning\n" +
		"knowledge: seat 1 KNO reasoning\nsecret: seat 1 SEC reasoning\nsocial_rules: seat 1 SOC reasoning\n" +
		"financial_and_material_benefits: seat 1 FIN reasoning\ngoal: seat 1 GOAL reasoning\n" +
		"Agent 2 comments:\nbelievability: seat 2 BEL reasoning\nrelationship: seat 2 REL reasoning\n" +
		"knowledge: seat 2 KNO reasoning\nsecret: seat 2 SEC reasoning\nsocial_rules: seat 2 SOC reasoning\n" +
		"financial_and_material_benefits: seat 2 FIN reasoning\ngoal: seat 2 GOAL reasoning\n"
	if ev.Comments != want {
		t.Errorf("comments:\n%s\nwant\n%s", ev.Comments, want)
	}
	if ev.Reasoning[1][Secret] != "seat 2 SEC reasoning" {
		t.Errorf("reasoning[1][secret] = %q", ev.Reasoning[1][Secret])
	}
}

func TestParseEvaluationTolerance(t *testing.T) {
	paper := paperJudgeOutput(sampleScores)
	head := `{"evaluations": {"agent_1": {` + headDims(sampleScores[0]) + `}, "agent_2": {` + headDims(sampleScores[1]) + `}}}`
	cases := []struct{ name, in string }{
		{"head shape", head},
		{"fenced with prose", "Here is my evaluation:\n```json\n" + paper + "\n```\nLet me know if you need more."},
		{"scores as strings", strings.NewReplacer(`", 10]`, `", "10"]`, `", -3]`, `", " -3 "]`).Replace(paper)},
		{"integral floats", strings.NewReplacer(`", 10]`, `", 10.0]`, `", 4]`, `", 4.00]`).Replace(paper)},
		{"trailing commas", strings.NewReplacer(`]}`, `],}`, `"]`, `",]`).Replace(paper)},
		{"smart quotes", strings.NewReplacer(`"`, "\u201c").Replace(paper)},
		{"schema echo wrapper", `{"properties": ` + paper + `}`},
		{"value wrappers", strings.Replace(paper, `"goal": ["seat 1 GOAL reasoning", 10]`, `"goal": {"value": ["seat 1 GOAL reasoning", 10]}`, 1)},
		{"key spellings", strings.NewReplacer(`"social_rules"`, `"Social Rules"`, `"agent_2_evaluation"`, `"Agent 2 Evaluation"`).Replace(paper)},
		{"reversed pair", strings.Replace(paper, `"goal": ["seat 1 GOAL reasoning", 10]`, `"goal": [10, "seat 1 GOAL reasoning"]`, 1)},
		{"named wrapper", `{"evaluation": ` + paper + `}`},
		{"wrapper beside prose field", `{"summary": "fine", "result": ` + paper + `}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := ParseEvaluation(c.in)
			if err != nil {
				t.Fatalf("%v\ninput: %s", err, c.in)
			}
			if ev.Scores != sampleScores {
				t.Errorf("scores %v, want %v", ev.Scores, sampleScores)
			}
			if ev.Reasoning[0][Goal] != "seat 1 GOAL reasoning" {
				t.Errorf("goal reasoning %q", ev.Reasoning[0][Goal])
			}
		})
	}
}

func headDims(s Scores) string {
	parts := make([]string, NumDimensions)
	for d, info := range Dimensions {
		parts[d] = fmt.Sprintf(`"%s": {"reasoning": "seat ? %s reasoning", "score": %v}`, info.Key, info.Abbrev, s[d])
	}
	return strings.Replace(strings.Join(parts, ", "), "seat ? GOAL", "seat 1 GOAL", 1)
}

func TestParseEvaluationNegativeZeroIsZero(t *testing.T) {
	ev, err := ParseEvaluation(strings.Replace(paperJudgeOutput(sampleScores), `"secret": ["seat 1 SEC reasoning", 0]`, `"secret": ["s", -0]`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if math.Signbit(ev.Scores[0][Secret]) {
		t.Error("-0 kept its sign")
	}
}

func TestParseEvaluationJoinsExtraReasoning(t *testing.T) {
	in := strings.Replace(paperJudgeOutput(sampleScores), `"knowledge": ["seat 1 KNO reasoning", 0]`,
		`"knowledge": ["first part.", "second part.", 0]`, 1)
	ev, err := ParseEvaluation(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Reasoning[0][Knowledge]; got != "first part. second part." {
		t.Errorf("joined reasoning %q", got)
	}
}

func TestParseEvaluationErrorsNameAgentDimensionValue(t *testing.T) {
	paper := paperJudgeOutput(sampleScores)
	cases := []struct{ name, in, want string }{
		{"missing dimension", strings.Replace(paper, `"secret": ["seat 2 SEC reasoning", -1], `, "", 1), `agent 2: missing dimension "secret"`},
		{"out of range", strings.Replace(paper, `"relationship": ["seat 1 REL reasoning", 4]`, `"relationship": ["r", 7]`, 1), "agent 1 relationship: score 7 outside [-5, 5]"},
		{"positive secret", strings.Replace(paper, `"secret": ["seat 2 SEC reasoning", -1]`, `"secret": ["s", 3]`, 1), "agent 2 secret: score 3 outside [-10, 0]"},
		{"not an integer", strings.Replace(paper, `"goal": ["seat 1 GOAL reasoning", 10]`, `"goal": ["g", 7.5]`, 1), "agent 1 goal: score 7.5 is not an integer"},
		{"word score", strings.Replace(paper, `"goal": ["seat 1 GOAL reasoning", 10]`, `"goal": ["g", "high"]`, 1), `agent 1 goal: ["g","high"] is not [reasoning, score]`},
		{"head word score", `{"evaluations": {"agent_1": {"believability": {"reasoning": "r", "score": "high"}}, "agent_2": {}}}`, `agent 1 believability: score is the string "high", want a number`},
		{"missing seat", `{"agent_1_evaluation": {}}`, `missing "agent_2_evaluation"`},
		{"no evaluation", `{"verdict": "good", "score": 7}`, `no "agent_1_evaluation" or "evaluations" field`},
		{"no JSON", "The agents did well.", "no JSON object found"},
		{"nan", strings.Replace(paper, `"goal": ["seat 1 GOAL reasoning", 10]`, `"goal": ["g", "NaN"]`, 1), "agent 1 goal: score NaN is not an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := ParseEvaluation(c.in)
			if err == nil {
				t.Fatalf("accepted: %+v", ev.Scores)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestParseEvaluationDeterministicWithDuplicateSpellings(t *testing.T) {
	// Two spellings of one key: the choice must not depend on Go's map order.
	in := strings.Replace(paperJudgeOutput(sampleScores), `"goal": ["seat 1 GOAL reasoning", 10]`,
		`"Goal": ["upper", 1], "GOAL": ["caps", 2]`, 1)
	first, err := ParseEvaluation(in)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ev, err := ParseEvaluation(in)
		if err != nil || ev != first {
			t.Fatalf("nondeterministic: %+v vs %+v (%v)", ev.Scores, first.Scores, err)
		}
	}
	if first.Reasoning[0][Goal] != "caps" { // "GOAL" sorts before "Goal"
		t.Errorf("picked %q", first.Reasoning[0][Goal])
	}
}

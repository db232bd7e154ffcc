package sotopia

import (
	"strings"
	"testing"
)

// lxmlCases are inputs with what Sotopia's XMLRenderer (lxml 4.9.2 / libxml2, run once on these
// inputs) returns for agent_0, agent_1 and the environment. They pin the parser fallbacks (as a
// document, wrapped in <root>, '&' escaped and recovered) and libxml2's recovery quirks. Known
// divergences, all on malformed markup no data file contains: "]]>" in text, an unquoted
// attribute value, and attributes with no space between them.
var lxmlCases = []struct{ in, agent0, agent1, env string }{
	{"a <3 b", "a 3 b", "a 3 b", "a 3 b"},
	{"a < b", "a  b", "a  b", "a  b"},
	{"x & y", "x & y", "x & y", "x & y"},
	{"x &amp; y", "x & y", "x & y", "x & y"},
	{"&lt;b&gt;", "<b>", "<b>", "<b>"},
	{"<b>bold</b> tail", " tail", " tail", "bold tail"},
	{"pre <b>bold</b> tail", "pre  tail", "pre  tail", "pre bold tail"},
	{"a <p viewer='agent_1'>hidden</p> c", "a  c", "a hidden c", "a hidden c"},
	{"a <p viewer='agent_0'>shown</p> c", "a shown c", "a  c", "a shown c"},
	{"<root viewer='agent_1'>g</root>", "g", "g", "g"},
	{"a\r\nb", "a\nb", "a\nb", "a\nb"},
	{"a\rb", "a\nb", "a\nb", "a\nb"},
	{"<!-- c --> t", " t", " t", " t"},
	{"t <!-- c --> u", "t  u", "t  u", "t  u"},
	{"<![CDATA[a<b]]> c", "a<b c", "a<b c", "a<b c"},
	{"a <? pi ?> b", "a  pi ?> b", "a  pi ?> b", "a  pi ?> b"},
	{"a </b> c", "a ", "a ", "a "},
	{"a <b> c", "a ", "a ", "a  c"},
	{"a <b c", "a ", "a ", "a "},
	{"caf\u00e9 \u2014 ok", "caf\u00e9 \u2014 ok", "caf\u00e9 \u2014 ok", "caf\u00e9 \u2014 ok"},
	{"ctl\u0001x", "ctlx", "ctlx", "ctlx"},
	{"ctl\u000bx", "ctlx", "ctlx", "ctlx"},
	{"&nbsp; x", "&nbsp; x", "&nbsp; x", "&nbsp; x"},
	{"&#65; &#x42;", "A B", "A B", "A B"},
	{"a <extra_info>E <p viewer='agent_1'>H</p></extra_info> z", "a E  z", "a E H z", "a E H z"},
	{"  <root>x</root>  ", "x", "x", "x"},
	{"<root>x</root> tail", "x tail", "x tail", "x tail"},
	{"<?xml version='1.0'?><root>x</root>", "x", "x", "x"},
	{"a<b/>c", "ac", "ac", "ac"},
	{"a <p viewer='agent_0' viewer='agent_1'>d</p>", "a d", "a d", "a d"},
	{"a & <b>c</b>", "a & ", "a & ", "a & c"},
	{"a & <p viewer='agent_1'>h</p> <3 z", "a &  3 z", "a & h 3 z", "a & h 3 z"},
	{"unclosed <p>text", "unclosed text", "unclosed text", "unclosed text"},
	{"a <1b> c", "a 1b> c", "a 1b> c", "a 1b> c"},
	{"a <_b>x</_b> c", "a  c", "a  c", "a x c"},
	{"a <b:c>x</b:c>", "a ", "a ", "a x"},
	{"<p>x</p><p>y</p>", "xy", "xy", "xy"},
	{"x > y", "x > y", "x > y", "x > y"},
	{"\"quotes\" and 'apos'", "\"quotes\" and 'apos'", "\"quotes\" and 'apos'", "\"quotes\" and 'apos'"},
	{"a <p viewer=\"agent_0\">dq</p>", "a dq", "a ", "a dq"},
	{"a &#0; b", "a &#0; b", "a &#0; b", "a &#0; b"},
	{"a &#xD800; b", "a &#xD800; b", "a &#xD800; b", "a &#xD800; b"},
	{"tab\there", "tab\there", "tab\there", "tab\there"},
	{"a <b>x</c> d", "a  d", "a  d", "a x d"},
	{"a <br> b </br> c", "a  c", "a  c", "a  b  c"},
	{"a<", "a", "a", "a"},
	{"a&", "a&", "a&", "a&"},
	{"<", "", "", ""},
	{"&", "&", "&", "&"},
	{"a <!DOCTYPE x> b", "a !DOCTYPE x> b", "a !DOCTYPE x> b", "a !DOCTYPE x> b"},
	{"a <!-- unterminated", "a ", "a ", "a "},
	{"<root><p viewer='agent_0'>secret bio</p></root>", "secret bio", "", "secret bio"},
	{"Name <p viewer='agent_1'>is a 30-year-old</p>", "Name ", "Name is a 30-year-old", "Name is a 30-year-old"},
	{"x <strategy_hint>S</strategy_hint> <clarification_hint>C</clarification_hint> <other>O</other>", "x S C ", "x S C ", "x S C O"},
	{"<root viewer='agent_0'>goal &amp; more</root>", "goal & more", "goal & more", "goal & more"},
	{"<root viewer='agent_0'>AT&T goal <extra_info>E</extra_info></root>", "AT&T goal E", "", "AT&T goal E"},
	{"a &amp;&lt; b & c", "a &amp;&lt; b & c", "a &amp;&lt; b & c", "a &amp;&lt; b & c"},
	{"<p viewer='agent_1'>only</p>", "only", "only", "only"},
	{"<extra_info>whole</extra_info>", "whole", "whole", "whole"},
	{"<b>whole</b>", "", "", ""},
	{"x <p viewer='environment'>env only</p>", "x ", "x ", "x env only"},
	{"a <!-- x -- y --> b", "a  b", "a  b", "a  b"},
	{"a <?target data?> b", "a  b", "a  b", "a  b"},
	{"a <P>up</P> b", "a  b", "a  b", "a up b"},
	{"a <p\nviewer='agent_1'>nl</p> b", "a  b", "a nl b", "a nl b"},
	{"a <p viewer='agent_0'/> b", "a  b", "a  b", "a  b"},
	{"a <p viewer = 'agent_1' >sp</p> b", "a  b", "a sp b", "a sp b"},
	{"\u00e9<\u00e9t\u00e9>x</\u00e9t\u00e9>", "\u00e9", "\u00e9", "\u00e9x"},
	{"", "", "", ""},
	{" ", " ", " ", " "},
	{"said: \"I <3 you & \"<b>\"\"", "said: \"I 3 you  \"", "said: \"I 3 you  \"", "said: \"I 3 you  \"\"\""},
	{"a <3 b & c", "a 3 b  c", "a 3 b  c", "a 3 b  c"},
	{"a & b <3 c & d", "a & b 3 c  d", "a & b 3 c  d", "a & b 3 c  d"},
	{"a <3 b &amp; c", "a 3 b amp; c", "a 3 b amp; c", "a 3 b amp; c"},
	{"p <3 q <b>r</b> & s", "p 3 q   s", "p 3 q   s", "p 3 q r  s"},
	{"a <p viewer='agent_1' viewer='agent_1'>d</p>", "a ", "a d", "a d"},
	{"a <p x='1' x='2' viewer='agent_1'>d</p>", "a ", "a d", "a d"},
	{"a <b/> & c", "a  & c", "a  & c", "a  & c"},
	{"a </x> & c", "a ", "a ", "a "},
	{"a <b>x</c> & d", "a   d", "a   d", "a x  d"},
	{"a <!x> & d", "a !x>  d", "a !x>  d", "a !x>  d"},
	{"x <? y", "x  y", "x  y", "x  y"},
	{"x <?y z?> w", "x  w", "x  w", "x  w"},
	{"x <?", "x ", "x ", "x "},
	{"ctl\u0001x & y", "ctlx  y", "ctlx  y", "ctlx  y"},
	{"a <p viewer='agent_0' viewer='agent_0'>d</p> & e", "a d  e", "a   e", "a d  e"},
	{"a <b c> & d", "a ", "a ", "a   d"},
	{"a <1> & b", "a 1>  b", "a 1>  b", "a 1>  b"},
	{"a <![CDATA[x & y]]> <3 & z", "a x &amp; y 3  z", "a x &amp; y 3  z", "a x &amp; y 3  z"},
	{"a <b>x & y</b> <3 & z", "a  3  z", "a  3  z", "a x & y 3  z"},
}

func TestRenderForMatchesLXML(t *testing.T) {
	for _, c := range lxmlCases {
		for _, v := range []struct{ viewer, want string }{{"agent_0", c.agent0}, {"agent_1", c.agent1}, {ViewerEnvironment, c.env}} {
			if got := RenderFor(c.in, v.viewer); got != v.want {
				t.Errorf("RenderFor(%q, %s) = %q, want %q", c.in, v.viewer, got, v.want)
			}
		}
	}
}

func TestRenderForOtherViewerSeesNothing(t *testing.T) {
	for _, viewer := range []string{"", "human", "Agent_0", "agent"} {
		if got := RenderFor("plain <p viewer='agent_0'>x</p>", viewer); got != "" {
			t.Errorf("viewer %q got %q", viewer, got)
		}
	}
}

func testProfile(first, last string) *AgentProfile {
	return &AgentProfile{FirstName: first, LastName: last, Age: 37, Gender: "Woman", GenderPronoun: "She/her",
		Occupation: "Marine Biologist", PublicInfo: "Dives every weekend.",
		PersonalityAndValues: "Calm and curious.", Secret: "Lost a research grant."}
}

func TestBackgroundMarkupPerRelationship(t *testing.T) {
	a := testProfile("Ana", "Lopez")
	const id = "is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. "
	const pv = "Personality and values description: Calm and curious. "
	const sec = "Ana's secrets: Lost a research grant."
	want := map[RelationshipType]string{
		Stranger:             "<root><p viewer='agent_1'>Ana Lopez " + id + pv + sec + "</p></root>",
		KnowByName:           "Ana Lopez <p viewer='agent_1'>" + id + pv + sec + "</p>",
		Acquaintance:         "Ana Lopez " + id + "<p viewer='agent_1'>" + pv + sec + "</p>",
		Friend:               "Ana Lopez " + id + pv + "<p viewer='agent_1'>" + sec + "</p>",
		RomanticRelationship: "Ana Lopez " + id + pv + "<p viewer='agent_1'>" + sec + "</p>",
		FamilyMember:         "Ana Lopez " + id + pv + "<p viewer='agent_1'>" + sec + "</p>",
		RelationshipType(9):  "<root><p viewer='agent_1'>Ana Lopez " + id + pv + sec + "</p></root>",
	}
	for rel, w := range want {
		if got := Background(a, rel, 1); got != w {
			t.Errorf("%v:\n got %q\nwant %q", rel, got, w)
		}
	}
	b := *a
	b.Gender = "Nonbinary"
	if got := Background(&b, Friend, 0); !strings.Contains(got, "37-year-old nonbinary marine") {
		t.Errorf("nonbinary bio %q", got)
	}
	b.Gender = "Other"
	if got := Background(&b, Friend, 0); !strings.Contains(got, "37-year-old  marine") {
		t.Errorf("unmapped gender must give an empty adjective: %q", got)
	}
}

// TestVisibilityPerRelationship checks sotopia.md 2.2's table for all six relationships: what
// the other seat sees of seat 0's bio, while the owner and the environment see all of it.
func TestVisibilityPerRelationship(t *testing.T) {
	a := testProfile("Ana", "Lopez")
	full := "Ana Lopez is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. " +
		"Personality and values description: Calm and curious. Ana's secrets: Lost a research grant."
	noSecret := "Ana Lopez is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. " +
		"Personality and values description: Calm and curious. "
	other := map[RelationshipType]string{
		Stranger:             "",
		KnowByName:           "Ana Lopez ",
		Acquaintance:         "Ana Lopez is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. ",
		Friend:               noSecret,
		RomanticRelationship: noSecret,
		FamilyMember:         noSecret,
	}
	for rel := Stranger; rel <= FamilyMember; rel++ {
		bio := Background(a, rel, 0)
		if got := RenderFor(bio, "agent_1"); got != other[rel] {
			t.Errorf("%v: other sees %q, want %q", rel, got, other[rel])
		}
		if got := RenderFor(bio, "agent_0"); got != full {
			t.Errorf("%v: owner sees %q", rel, got)
		}
		if got := RenderFor(bio, ViewerEnvironment); got != full {
			t.Errorf("%v: environment sees %q", rel, got)
		}
	}
}

func testSetup(rel RelationshipType, era Era) *Setup {
	return &Setup{
		Env: &EnvironmentProfile{PK: "env", Scenario: "Two people meet. <p viewer=\"environment\">They share a friend: Bo.</p>",
			Relationship: rel, AgentGoals: []string{
				"Borrow a book (<extra_info>Extra information: you lost yours.<strategy_hint>Hint: be polite.</strategy_hint></extra_info>)",
				"Keep your book <clarification_hint>Hint: it is rare</clarification_hint>",
			}},
		Agents: [Seats]*AgentProfile{testProfile("Ana", "Lopez"), {FirstName: "Ben", LastName: "Cho", Age: 41, Gender: "Man",
			GenderPronoun: "He/him", Occupation: "Chef", PublicInfo: "Runs a bistro.", PersonalityAndValues: "Loud.", Secret: "Hates garlic."}},
		Era: era, MaxTurns: 20,
	}
}

func contextLine(t *testing.T, ctx, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(ctx, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line %q in %q", prefix, ctx)
	return ""
}

func TestContextForLayoutAndGoals(t *testing.T) {
	s := testSetup(Friend, EraBenchmark)
	got := s.ContextFor(1, "")
	want := "\nHere is the context of this interaction:\n" +
		"Scenario: Two people meet. \n" +
		"Participants: Ana Lopez and Ben Cho\n" +
		"Ana Lopez's background: Ana Lopez is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. Personality and values description: Calm and curious. \n" +
		"Ben Cho's background: Ben Cho is a 41-year-old male chef. He/him pronouns. Runs a bistro. Personality and values description: Loud. Ben's secrets: Hates garlic.\n" +
		"Ana Lopez's goal: Unknown\n" +
		"Ben Cho's goal: Keep your book Hint: it is rare\n" +
		"Conversation Starts:\n"
	if got != want {
		t.Errorf("ContextFor(1):\n got %q\nwant %q", got, want)
	}
	own := contextLine(t, s.ContextFor(0, ""), "Ana Lopez's goal: ")
	if own != "Ana Lopez's goal: Borrow a book (Extra information: you lost yours.Hint: be polite.)" {
		t.Errorf("own goal with hint tags unwrapped: %q", own)
	}
	envCtx := s.EnvironmentContext()
	for _, w := range []string{"Scenario: Two people meet. They share a friend: Bo.\n", "Ana's secrets: Lost a research grant.\n",
		"Ben's secrets: Hates garlic.\n", "Ana Lopez's goal: Borrow a book (", "Ben Cho's goal: Keep your book Hint"} {
		if !strings.Contains(envCtx, w) {
			t.Errorf("environment context lacks %q:\n%s", w, envCtx)
		}
	}
	if strings.HasPrefix(envCtx, "\n") || strings.Contains(envCtx, "Conversation Starts") {
		t.Errorf("environment context is the bare block: %q", envCtx)
	}
}

// TestContextForEras: a bio the viewer cannot see prints empty in 2023 and "Unknown" in the
// benchmark era; with both bios empty (Sotopia's lite mode) the benchmark era omits the lines.
func TestContextForEras(t *testing.T) {
	cases := []struct {
		rel       RelationshipType
		era       Era
		otherLine string
	}{
		{Stranger, Era2023, "Ana Lopez's background: "},
		{Stranger, EraBenchmark, "Ana Lopez's background: Unknown"},
		{Stranger, "", "Ana Lopez's background: Unknown"},
		{KnowByName, Era2023, "Ana Lopez's background: Ana Lopez "},
		{KnowByName, EraBenchmark, "Ana Lopez's background: Ana Lopez "},
	}
	for _, c := range cases {
		s := testSetup(c.rel, c.era)
		if got := contextLine(t, s.ContextFor(1, ""), "Ana Lopez's background: "); got != c.otherLine {
			t.Errorf("%v %q: %q, want %q", c.rel, c.era, got, c.otherLine)
		}
		if own := contextLine(t, s.ContextFor(1, ""), "Ben Cho's background: "); !strings.HasSuffix(own, "Ben's secrets: Hates garlic.") {
			t.Errorf("%v %q: own bio %q", c.rel, c.era, own)
		}
	}
	lite := scriptBackground{scenario: "S", names: [Seats]string{"A", "B"}, goals: [Seats]string{"g", "Unknown"}}
	if got := lite.text(EraBenchmark); strings.Contains(got, "background") {
		t.Errorf("benchmark era prints empty backgrounds: %q", got)
	}
	if got := lite.text(Era2023); !strings.Contains(got, "A's background: \nB's background: \n") {
		t.Errorf("2023 era must print both lines: %q", got)
	}
}

func TestContextForOmniscient(t *testing.T) {
	s := testSetup(Stranger, EraBenchmark)
	s.Omniscient = true
	ctx := s.ContextFor(1, "")
	if ctx != "\n"+s.EnvironmentContext()+"\nConversation Starts:\n" {
		t.Errorf("omniscient seat must see the environment's view, got %q", ctx)
	}
	if !strings.Contains(ctx, "Ana Lopez's goal: Borrow a book") {
		t.Errorf("other goal hidden from an omniscient seat: %q", ctx)
	}
}

// TestContextForInjectedArmText is what `also prompt` and the live agents rely on: an arm text
// replaces only the seat's own background line, in that seat's copy only.
func TestContextForInjectedArmText(t *testing.T) {
	s := testSetup(Acquaintance, EraBenchmark)
	v3, err := Strategies("v3")
	if err != nil {
		t.Fatal(err)
	}
	arm := ArmText(s.OwnBackground(0), v3[1])
	plain, injected := s.ContextFor(0, ""), s.ContextFor(0, arm)
	pl, il := strings.Split(plain, "\n"), strings.Split(injected, "\n")
	bgIdx := -1
	for i, l := range pl {
		if strings.HasPrefix(l, "Ana Lopez's background: ") {
			bgIdx = i
		}
	}
	if bgIdx < 0 || !strings.HasPrefix(injected, strings.Join(pl[:bgIdx], "\n")+"\n") {
		t.Fatalf("lines before the own background changed:\n%s\n---\n%s", plain, injected)
	}
	// The arm text spans lines; formatted like Sotopia, its " \n If" loses the space after "\n".
	wantBlock := "Ana Lopez's background: " + strings.ReplaceAll(arm, "\n ", "\n")
	rest := strings.Join(pl[bgIdx+1:], "\n")
	if injected != strings.Join(pl[:bgIdx], "\n")+"\n"+wantBlock+"\n"+rest {
		t.Errorf("injected context:\n%q\nwant own background %q then the unchanged rest", injected, wantBlock)
	}
	if len(il) <= len(pl) {
		t.Errorf("multi-line arm text should add lines")
	}
	if s.ContextFor(1, "") != testSetup(Acquaintance, EraBenchmark).ContextFor(1, "") {
		t.Error("the other seat's context changed")
	}
	if got := s.ContextFor(0, s.OwnBackground(0)); got != plain {
		t.Errorf("the baseline arm (own background) must reproduce the plain context:\n%q\n%q", got, plain)
	}
	if own := s.OwnBackground(0); own != "Ana Lopez is a 37-year-old female marine biologist. She/her pronouns. Dives every weekend. Personality and values description: Calm and curious. Ana's secrets: Lost a research grant." {
		t.Errorf("OwnBackground = %q", own)
	}
}

func TestSotopiaDocstring(t *testing.T) {
	for in, want := range map[string]string{
		"  a\n   b\n\n  c  \n": "a\nb\n\nc",
		"x \n y":               "x \ny",
		"\n\n":                 "",
		"a\n\tb":               "a\n\tb",
		"keep  inner  spaces":  "keep  inner  spaces",
	} {
		if got := sotopiaDocstring(in); got != want {
			t.Errorf("sotopiaDocstring(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContextForPanicsOnBadSeat(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "seat 2 out of range") {
			t.Errorf("recover() = %v", r)
		}
	}()
	testSetup(Friend, EraBenchmark).ContextFor(2, "")
}

func TestHistory(t *testing.T) {
	obs := []Observation{{Text: "\nctx\nConversation Starts:\n"}, {Text: "Turn #0: A said: \"hi\"\n"}, {Text: "Turn #1: \n"}}
	want := "\nctx\nConversation Starts:\n\nTurn #0: A said: \"hi\"\n\nTurn #1: \n"
	if got := History(obs); got != want {
		t.Errorf("History = %q", got)
	}
	if History(nil) != "" {
		t.Error("empty history")
	}
}

// FuzzRenderFor: the renderer never panics; markup-free text passes through unchanged for every
// viewer; an agent never sees more text than the environment.
func FuzzRenderFor(f *testing.F) {
	for _, c := range lxmlCases {
		f.Add(c.in)
	}
	f.Add(Background(testProfile("Ana", "Lopez"), Acquaintance, 0))
	f.Fuzz(func(t *testing.T, s string) {
		env := RenderFor(s, ViewerEnvironment)
		for _, v := range []string{"agent_0", "agent_1"} {
			got := RenderFor(s, v)
			if len(got) > len(env) {
				t.Errorf("%s sees %q, more than the environment's %q", v, got, env)
			}
			if !strings.ContainsAny(s, "<&\r") && xmlAllChars(s) && got != s {
				t.Errorf("plain text %q rendered as %q", s, got)
			}
		}
	})
}

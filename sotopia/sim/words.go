package sim

import (
	"regexp"
	"strings"
	"unicode"
)

// risk is how much a strategy invites a secret leak (self-disclosure) or a social-rule
// violation (pressure, deception), in [0, 1], from cue words of its description.
type risk struct{ secret, rules float64 }

var (
	secretCues = []string{"reveal", "disclos", "vulnerab", "confess", "personal", "open up", "transparen", "honest", "share your"}
	rulesCues  = []string{"pressure", "urgen", "threat", "retaliat", "bluff", "decei", "decept", "manipul", "exaggerat",
		"fleeting", "downplay", "calculated", "exploit", "guilt", "coerc", "ultimatum", "intimidat", "scarcity", "walk away", "walking away"}
)

// riskOf counts distinct cue stems: two or more make a strategy fully risky.
func riskOf(desc string) risk {
	d := strings.ToLower(desc)
	count := func(cues []string) float64 {
		n := 0.0
		for _, c := range cues {
			if strings.Contains(d, c) {
				n++
			}
		}
		return clamp(n/2, 0, 1)
	}
	return risk{secret: count(secretCues), rules: count(rulesCues)}
}

// stopwords are left out of hints and strategy lines: function words and the boilerplate every
// description shares ("In your response, apply ... principles"), which says nothing about it.
var stopwords = toSet(`a about above after again against all also although an and any are as at be because been
before being both but by can could did do does doing each either else even every for from further had has have having
he her here hers him his how however i if in into is it its itself just let like make makes making may me might more
most much must my no nor not now of off on once only or other others our ours out over own party parties per rather
really response same she should so some such than that the their theirs them then there these they this those
through thus to too under until up upon use using very via was we were what when where whether which while who whom
why will with within without would you your yours apply principles approach strategy theory explicitly ensure
directly instead often something someone things thing them like phrases say said ask`)

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// contentWords lists the distinct lower-cased words of a description worth repeating, in order.
func contentWords(desc string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(desc), func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
		w = strings.Trim(w, "-")
		if len(w) < 4 || stopwords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// A single-quoted phrase opens after a space or punctuation and may contain apostrophes (I'm).
var quoteRE = regexp.MustCompile(`(?:^|[\s(:—-])'((?:[^']|'[A-Za-z])+?)'(?:[\s.,;:)!?—-]|$)|"([^"]+)"|“([^”]+)”`)

// quotedPhrases extracts the example utterances strategy descriptions quote ('How can we solve
// this together?'), which read naturally as speech.
func quotedPhrases(desc string) []string {
	var out []string
	for _, m := range quoteRE.FindAllStringSubmatch(desc, -1) {
		for _, g := range m[1:] {
			g = strings.TrimSpace(g)
			if len(g) <= 160 && len(strings.Fields(g)) >= 3 {
				out = append(out, g)
			}
		}
	}
	return out
}

var tagRE = regexp.MustCompile(`(?s)<(\w+)>.*?</(\w+)>|<[^>]*>`)

// goalCore is the goal without Sotopia's tagged extra information and hints, first sentence only.
func goalCore(goal string) string {
	g := tagRE.ReplaceAllString(goal, "")
	g = strings.ReplaceAll(g, "()", "")
	g = strings.Join(strings.Fields(g), " ")
	if i := strings.Index(g, ". "); i > 0 {
		g = g[:i]
	}
	return strings.TrimRight(strings.TrimSpace(g), ".")
}

// firstPerson rewrites a goal addressed to "you" as the agent's own words to its partner.
func firstPerson(goal string) string {
	words := strings.Fields(goal)
	rules := []struct{ from, to []string }{
		{[]string{"your", "friend"}, []string{"you"}},
		{[]string{"the", "friend"}, []string{"you"}},
		{[]string{"your", "partner"}, []string{"you"}},
		{[]string{"the", "partner"}, []string{"you"}},
		{[]string{"the", "other", "person"}, []string{"you"}},
		{[]string{"the", "other", "individual"}, []string{"you"}},
		{[]string{"the", "other"}, []string{"you"}},
		{[]string{"you", "are"}, []string{"I", "am"}},
		{[]string{"you're"}, []string{"I'm"}},
		{[]string{"yourself"}, []string{"myself"}},
		{[]string{"your"}, []string{"my"}},
		{[]string{"you"}, []string{"I"}},
	}
	var out []string
outer:
	for i := 0; i < len(words); {
		for _, r := range rules {
			if i+len(r.from) > len(words) {
				continue
			}
			match := true
			for k, f := range r.from {
				if strings.ToLower(strings.Trim(words[i+k], ",.;:!?")) != f {
					match = false
					break
				}
			}
			if match {
				last := words[i+len(r.from)-1]
				tail := last[len(strings.TrimRight(last, ",.;:!?")):]
				out = append(out, strings.Join(r.to, " ")+tail)
				i += len(r.from)
				continue outer
			}
		}
		out = append(out, words[i])
		i++
	}
	s := strings.Join(out, " ")
	if s != "" && !strings.HasPrefix(s, "I ") {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	return strings.TrimPrefix(s, "to ") // "To watch a comedy" reads as "I want to watch a comedy"
}

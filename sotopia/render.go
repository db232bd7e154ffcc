package sotopia

import (
	"fmt"
	"strconv"
	"strings"
)

// Viewer names understood by RenderFor.
const (
	ViewerEnvironment = "environment"
	viewerAgentPrefix = "agent_"
)

// AgentViewer is the viewer name of a seat: "agent_0" or "agent_1".
func AgentViewer(seat int) string { return viewerAgentPrefix + strconv.Itoa(seat) }

// xmlRenderedTags keep their text and lose their markup for agent viewers; other tags are dropped
// with their content (Sotopia's default tags_to_render plus root and p).
var xmlRenderedTags = map[string]bool{"root": true, "p": true, "extra_info": true, "clarification_hint": true, "strategy_hint": true}

// RenderFor renders a viewer-tagged string for a viewer ("agent_0", "agent_1" or "environment")
// per sotopia.md 2.2 step 4: parse as XML, else wrapped in <root>, else with '&' escaped
// leniently; an agent keeps the text and the children with no viewer or its own viewer; the
// environment sees all text. Any other viewer sees nothing, as in Sotopia.
func RenderFor(s, viewer string) string {
	if s == "" {
		return ""
	}
	root, err := xmlStrictParse(s)
	if err != nil {
		root, err = xmlStrictParse("<root>" + s + "</root>")
	}
	if err != nil {
		root = xmlLenientParse("<root>" + strings.ReplaceAll(s, "&", "&amp;") + "</root>")
	}
	var b strings.Builder
	switch {
	case !xmlRenderedTags[root.tag]:
	case viewer == ViewerEnvironment:
		xmlAllText(&b, root)
	case strings.HasPrefix(viewer, viewerAgentPrefix):
		xmlRenderForAgent(&b, root, viewer)
	}
	return b.String()
}

func xmlRenderForAgent(b *strings.Builder, n *xmlNode, viewer string) {
	if n.tag == "" {
		b.WriteString(n.text)
		return
	}
	if !xmlRenderedTags[n.tag] {
		return
	}
	for _, c := range n.children {
		if !c.visibleTo(viewer) {
			continue
		}
		xmlRenderForAgent(b, c, viewer)
	}
}

func xmlAllText(b *strings.Builder, n *xmlNode) {
	if n.tag == "" {
		b.WriteString(n.text)
	}
	for _, c := range n.children {
		xmlAllText(b, c)
	}
}

// bioGenderAdjective maps Sotopia's gender values to the bio's adjective.
func bioGenderAdjective(gender string) string {
	switch gender {
	case "Man":
		return "male"
	case "Woman":
		return "female"
	case "Nonbinary":
		return "nonbinary"
	}
	return ""
}

// Background is the agent's bio sentence marked up with visibility for the relationship (owner
// seat i): "{First Last} is a {age}-year-old {male|female|nonbinary} {occupation lower}. {pronoun}
// pronouns. {public_info} Personality and values description: {personality_and_values} {First}'s
// secrets: {secret}", with the part the other agent cannot see wrapped in <p viewer='agent_i'>.
// An unknown relationship hides everything, like a stranger's (nothing leaks by mistake).
func Background(a *AgentProfile, rel RelationshipType, seat int) string {
	name := a.FirstName + " " + a.LastName
	identity := fmt.Sprintf("is a %d-year-old %s %s. %s pronouns. %s ", a.Age, bioGenderAdjective(a.Gender),
		strings.ToLower(a.Occupation), a.GenderPronoun, a.PublicInfo)
	personality := "Personality and values description: " + a.PersonalityAndValues + " "
	secret := a.FirstName + "'s secrets: " + a.Secret
	open := "<p viewer='" + AgentViewer(seat) + "'>"
	switch rel {
	case KnowByName:
		return name + " " + open + identity + personality + secret + "</p>"
	case Acquaintance:
		return name + " " + identity + open + personality + secret + "</p>"
	case Friend, RomanticRelationship, FamilyMember:
		return name + " " + identity + personality + open + secret + "</p>"
	}
	return "<root>" + open + name + " " + identity + personality + secret + "</p></root>"
}

// sotopiaDocstring is Sotopia's format_docstring: drop the spaces after every newline, then trim.
func sotopiaDocstring(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '\n' {
			for i+1 < len(s) && s[i+1] == ' ' {
				i++
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// scriptBackground is Sotopia's ScriptBackground message: the context block of an episode.
type scriptBackground struct {
	scenario    string
	names       [Seats]string
	backgrounds [Seats]string
	goals       [Seats]string
}

// text is ScriptBackground.to_natural_language in the given era (sotopia.md 2.2 step 6).
func (sb scriptBackground) text(era Era) string {
	var b strings.Builder
	b.WriteString("Here is the context of this interaction:\n")
	b.WriteString("Scenario: " + sb.scenario + "\n")
	b.WriteString("Participants: " + sb.names[0] + " and " + sb.names[1] + "\n")
	anyBackground := sb.backgrounds[0] != "" || sb.backgrounds[1] != ""
	switch {
	case era == Era2023:
		// 2023: both lines always, a hidden bio simply empty.
		for i := range sb.names {
			b.WriteString(sb.names[i] + "'s background: " + sb.backgrounds[i] + "\n")
		}
	case anyBackground:
		for i := range sb.names {
			bg := sb.backgrounds[i]
			if bg == "" {
				bg = "Unknown"
			}
			b.WriteString(sb.names[i] + "'s background: " + bg + "\n")
		}
	}
	for i := range sb.names {
		b.WriteString(sb.names[i] + "'s goal: " + sb.goals[i] + "\n")
	}
	return sotopiaDocstring(b.String())
}

// observationNL renders an observation's last_turn as Sotopia's Observation does.
func observationNL(turn int, lastTurn string) string {
	if turn == 0 {
		return "\n" + lastTurn + "\nConversation Starts:\n"
	}
	return "Turn #" + strconv.Itoa(turn-1) + ": " + lastTurn + "\n"
}

func goalMarkup(goal string, seat int) string {
	return "<root viewer='" + AgentViewer(seat) + "'>" + goal + "</root>"
}

// environmentBackground is the environment's (and an omniscient agent's) view: everything visible.
func (s *Setup) environmentBackground() scriptBackground {
	sb := scriptBackground{scenario: RenderFor(s.Env.Scenario, ViewerEnvironment)}
	for j, a := range s.Agents {
		sb.names[j] = a.Name()
		sb.backgrounds[j] = RenderFor(Background(a, s.Env.Relationship, j), ViewerEnvironment)
		sb.goals[j] = RenderFor(goalMarkup(s.Env.AgentGoals[j], j), ViewerEnvironment)
	}
	return sb
}

// agentBackground is seat's view: relationship visibility, own goal, the other goal "Unknown".
// Omniscient copies the environment's view, as Sotopia does (so it also reveals the other's
// background and secret, not only the goal).
func (s *Setup) agentBackground(seat int) scriptBackground {
	if s.Omniscient {
		return s.environmentBackground()
	}
	viewer := AgentViewer(seat)
	sb := scriptBackground{scenario: RenderFor(s.Env.Scenario, viewer)}
	for j, a := range s.Agents {
		sb.names[j] = a.Name()
		sb.backgrounds[j] = RenderFor(Background(a, s.Env.Relationship, j), viewer)
		sb.goals[j] = "Unknown"
	}
	sb.goals[seat] = RenderFor(goalMarkup(s.Env.AgentGoals[seat], seat), viewer)
	return sb
}

func (s *Setup) era() Era {
	if s.Era == "" {
		return EraBenchmark
	}
	return s.Era
}

func mustSeat(seat int) {
	if seat < 0 || seat >= Seats {
		panic(fmt.Sprintf("sotopia: seat %d out of range [0, %d)", seat, Seats))
	}
}

// OwnBackground is the seat's background as the seat itself sees it (full, including its own
// secret): the base of every arm text (also-method.md 4.3).
func (s *Setup) OwnBackground(seat int) string {
	mustSeat(seat)
	return RenderFor(Background(s.Agents[seat], s.Env.Relationship, seat), AgentViewer(seat))
}

// ContextFor is exactly the turn-0 observation text seat sees ("\nHere is the context of this
// interaction:\n...Conversation Starts:\n") under s.Era. If ownBackground is not empty it replaces
// the seat's own background (ALSO's strategy injection: only the seat's own copy changes; it goes
// through the same formatting, so spaces after its newlines are dropped as in ALSO). The setup
// must be valid (Setup.Validate); seat must be 0 or 1.
func (s *Setup) ContextFor(seat int, ownBackground string) string {
	mustSeat(seat)
	sb := s.agentBackground(seat)
	if ownBackground != "" {
		sb.backgrounds[seat] = ownBackground
	}
	return observationNL(0, sb.text(s.era()))
}

// EnvironmentContext is the environment (judge) view of the context block: both full
// backgrounds including secrets, both goals. It opens the judge's transcript.
func (s *Setup) EnvironmentContext() string {
	return s.environmentBackground().text(s.era())
}

// History is an LLM agent's {history}: the newline-joined texts of the observations it received,
// in order (sotopia.md 2.5).
func History(obs []Observation) string {
	texts := make([]string, len(obs))
	for i, o := range obs {
		texts[i] = o.Text
	}
	return strings.Join(texts, "\n")
}

// Package sotopia is the Sotopia domain: profiles, scenarios, tasks, relationship visibility,
// actions, prompt rendering, parsing of actions and judge output, Sotopia-Eval scoring, subsets and
// the embedded dataset. It has no I/O beyond the embedded files and knows nothing about actors.
package sotopia

// AgentProfile is a Sotopia character (sotopia.database.persistent_profile.AgentProfile).
type AgentProfile struct {
	PK                     string   `json:"pk"`
	FirstName              string   `json:"first_name"`
	LastName               string   `json:"last_name"`
	Age                    int      `json:"age"`
	Occupation             string   `json:"occupation"`
	Gender                 string   `json:"gender"`
	GenderPronoun          string   `json:"gender_pronoun"`
	PublicInfo             string   `json:"public_info"`
	BigFive                string   `json:"big_five"`
	MoralValues            []string `json:"moral_values"`
	SchwartzPersonalValues []string `json:"schwartz_personal_values"`
	PersonalityAndValues   string   `json:"personality_and_values"`
	DecisionMakingStyle    string   `json:"decision_making_style"`
	Secret                 string   `json:"secret"`
	ModelID                string   `json:"model_id"`
	MBTI                   string   `json:"mbti"`
	Tag                    string   `json:"tag"`
}

// Name is the display name Sotopia keys agents by inside an episode.
func (a *AgentProfile) Name() string {
	switch {
	case a.LastName == "":
		return a.FirstName
	case a.FirstName == "":
		return a.LastName
	}
	return a.FirstName + " " + a.LastName
}

// RelationshipType controls what each agent may see of the other's background.
type RelationshipType int

const (
	Stranger RelationshipType = iota
	KnowByName
	Acquaintance
	Friend
	RomanticRelationship
	FamilyMember
)

var relationshipNames = [...]string{"stranger", "know_by_name", "acquaintance", "friend", "romantic_relationship", "family_member"}

func (r RelationshipType) String() string {
	if r < 0 || int(r) >= len(relationshipNames) {
		return "unknown"
	}
	return relationshipNames[r]
}

// EnvironmentProfile is a Sotopia scenario (persistent_profile.EnvironmentProfile).
type EnvironmentProfile struct {
	PK                   string           `json:"pk"`
	Codename             string           `json:"codename"`
	Source               string           `json:"source"`
	Scenario             string           `json:"scenario"`
	AgentGoals           []string         `json:"agent_goals"`
	Relationship         RelationshipType `json:"relationship"`
	AgeConstraint        *string          `json:"age_constraint"`
	OccupationConstraint *string          `json:"occupation_constraint"`
	AgentConstraint      [][]string       `json:"agent_constraint"`
	Tag                  string           `json:"tag"`
}

// RelationshipProfile is a character pair with a relationship (used to sample new tasks).
type RelationshipProfile struct {
	PK              string           `json:"pk"`
	Agent1ID        string           `json:"agent_1_id"`
	Agent2ID        string           `json:"agent_2_id"`
	Relationship    RelationshipType `json:"relationship"`
	BackgroundStory *string          `json:"background_story"`
	Tag             string           `json:"tag"`
}

// Task is a benchmark task: Sotopia's EnvAgentComboStorage (one scenario + agents in seat order).
type Task struct {
	PK       string   `json:"pk"`
	EnvID    string   `json:"env_id"`
	AgentIDs []string `json:"agent_ids"`
}

// Seats is the number of agents in every episode (Sotopia benchmark-era: exactly two).
const Seats = 2

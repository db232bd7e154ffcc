package messages

import "github.com/also-project/also/sotopia"

// The cluster protocol (package cluster): what crosses between a coordinator and its workers.
// The unit placed on a member is one task attempt, played there by the whole Episode actor tree.

// ClusterMember is one member of a cluster as the membership exchange knows it.
type ClusterMember struct {
	ID    string
	Host  string
	Port  int
	Kinds []string
}

// MemberPing is sent by every member to its peers and to every member it knows, each refresh
// interval; the answer proves the peer alive and shares whom it knows.
type MemberPing struct {
	Cluster string
	From    ClusterMember
}

// MemberPong answers MemberPing with the members the answering member currently sees alive
// (itself included).
type MemberPong struct {
	Cluster string
	Members []ClusterMember
}

// WorkerHello asks a worker for its capacity.
type WorkerHello struct {
	Cluster string
}

// WorkerInfo is a worker's answer to WorkerHello.
type WorkerInfo struct {
	MemberID string
	Host     string // the worker's host name, for the coordinator's progress lines
	Slots    int    // episodes it plays at once
}

// RunTask asks a worker to play one attempt of one task of a run and store it.
type RunTask struct {
	RunID   string // the coordinator's run; a worker keeps one world per run
	Config  []byte // the resolved config.Run as JSON, with no secrets (keys come from the worker's env)
	Index   int    // position of the task in the run's plan
	TaskID  string
	Attempt int
}

// TaskResult reports a played (and stored) attempt, or why the worker could not play it.
type TaskResult struct {
	RunID     string
	Index     int
	TaskID    string
	Attempt   int
	EpisodePK string
	Status    string // sotopia.StatusDone, StatusFailed or StatusInterrupted; "" if not played
	Error     string
	Usage     sotopia.Usage
	Member    string // the member that played it
	// Stored says the attempt was already in the store before this worker was asked (a task
	// re-queued after its member died after storing it): it was not played again.
	Stored bool
}

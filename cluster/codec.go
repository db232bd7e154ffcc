package cluster

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/asynkron/protoactor-go/remote"

	"github.com/also-project/also/messages"
)

// Messages cross processes as JSON under an explicit registry of type names (Codec). protoactor's
// remote (at the pinned version) writes every message with serializer 0, its protobuf one, and
// ignores the serializer id it is given; so a message crosses wrapped in a Wire, which turns
// itself into an Envelope (type name + JSON, our one protobuf type) on the way out and back into
// a Wire on the way in (remote's RootSerializable hooks). The codec is also registered with
// remote.RegisterSerializer, so an envelope written under its id reads back the same.

// Wire carries one registered message across the cluster. Actors receive a *Wire and look at M.
type Wire struct{ M any }

// Serialize is remote's outbound hook: a Wire leaves as an Envelope.
func (w *Wire) Serialize() (remote.RootSerialized, error) {
	name, err := wireCodec.GetTypeName(w.M)
	if err != nil {
		return nil, err
	}
	b, err := wireCodec.Serialize(w.M)
	if err != nil {
		return nil, err
	}
	return &Envelope{Type: name, Json: b}, nil
}

// Deserialize is remote's inbound hook: an Envelope arrives as a Wire.
func (e *Envelope) Deserialize() (remote.RootSerializable, error) {
	m, err := wireCodec.Deserialize(e.Type, e.Json)
	if err != nil {
		return nil, err
	}
	return &Wire{M: m}, nil
}

// Codec is a remote.Serializer for the registered plain Go message types: JSON, named by an
// explicit registry (never by reflection on whatever arrives).
type Codec struct {
	byName map[string]reflect.Type
	byType map[reflect.Type]string
}

// NewCodec registers each type (given as a pointer to a zero value) under "also." + its package
// and type name.
func NewCodec(types ...any) *Codec {
	c := &Codec{byName: map[string]reflect.Type{}, byType: map[reflect.Type]string{}}
	for _, v := range types {
		t := reflect.TypeOf(v)
		if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			panic(fmt.Sprintf("cluster codec: register pointers to structs, not %T", v))
		}
		name := "also." + t.Elem().String()
		c.byName[name] = t.Elem()
		c.byType[t] = name
	}
	return c
}

// Names lists the registered type names.
func (c *Codec) Names() []string {
	var out []string
	for n := range c.byName {
		out = append(out, n)
	}
	return out
}

// GetTypeName names a registered message; an unregistered one is an error naming its type.
func (c *Codec) GetTypeName(msg any) (string, error) {
	name, ok := c.byType[reflect.TypeOf(msg)]
	if !ok {
		return "", fmt.Errorf("cluster codec: message type %T is not registered", msg)
	}
	return name, nil
}

// Serialize writes a registered message as JSON.
func (c *Codec) Serialize(msg any) ([]byte, error) {
	if _, err := c.GetTypeName(msg); err != nil {
		return nil, err
	}
	return json.Marshal(msg)
}

// Deserialize reads a message of a registered type name.
func (c *Codec) Deserialize(typeName string, b []byte) (any, error) {
	t, ok := c.byName[typeName]
	if !ok {
		return nil, fmt.Errorf("cluster codec: unknown message type %q", typeName)
	}
	v := reflect.New(t).Interface()
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("cluster codec: %s: %w", typeName, err)
	}
	return v, nil
}

// wireCodec registers every message of package messages: the cluster protocol, and the episode
// protocol too, so an episode's actors could be spread over members later without a new codec
// (today an episode plays whole on one member).
var wireCodec = NewCodec(
	&messages.ClusterMember{}, &messages.MemberPing{}, &messages.MemberPong{}, &messages.WorkerHello{},
	&messages.WorkerInfo{}, &messages.RunTask{}, &messages.TaskResult{},
	&messages.StartEpisode{}, &messages.EpisodeDone{}, &messages.Observe{}, &messages.Delivered{},
	&messages.Act{}, &messages.Action{}, &messages.SetStrategy{}, &messages.ResetEnv{}, &messages.NextTurn{},
	&messages.TurnStart{}, &messages.StepEnv{}, &messages.Stepped{}, &messages.JudgeTurn{}, &messages.TurnScores{},
	&messages.JudgeEpisode{}, &messages.EpisodeScores{}, &messages.Embed{}, &messages.Embedded{},
	&messages.InitPolicy{}, &messages.PolicyReady{}, &messages.PolicyStep{}, &messages.PolicyChoice{},
	&messages.SavePolicy{}, &messages.PolicySaved{}, &messages.LogUpdate{}, &messages.Record{}, &messages.Stored{},
)

var registerOnce sync.Once

// registerCodec adds the codec to remote's serializers once per process.
func registerCodec() {
	registerOnce.Do(func() { remote.RegisterSerializer(wireCodec) })
}

// wire wraps m for sending; unwire returns what a received message carries (m itself if it is
// not a Wire: a local send, or protoactor's own messages).
func wire(m any) *Wire { return &Wire{M: m} }

func unwire(m any) any {
	if w, ok := m.(*Wire); ok {
		return w.M
	}
	return m
}

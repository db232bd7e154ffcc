// Package agents defines the seat agents a run can put in a seat instead of its world's own
// agent (the LLM in a live run, the simulated agent in a sim run), in one place for both worlds:
//
//	llm                         the world's own agent (the default)
//	scripted:refuser|staller|leaver
//	                            fixed behaviours (Behaviour); the sim world also models their
//	                            effect on the other seat's rewards
//	script:FILE                 actions read from a script file (ParseScript documents the format)
//	switch:MODEL@T,MODEL@T...   a non-stationary opponent: the model answering changes at the
//	                            given turns (or episodes, MODEL@eN); live world only
//	NAME[:ARG]                  an agent a library registered with Register
//
// Parse turns a setting into a Spec; the worlds build the agents from it. No agent here shares
// state with another: each keeps its own turn counter and random stream.
package agents

package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/also-project/also/cluster"
	"github.com/also-project/also/session"
)

func newWorkerCmd() *cobra.Command {
	var f clusterFlags
	var slots int
	var redisURL string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Join a cluster and play the episodes its coordinators place here",
		Long: `Join a cluster (--cluster, through --peers) and host work: a coordinator (` + "`also run --cluster`" + `)
places task attempts here, at most --slots at once, each played by the whole episode actor tree
and stored straight into the shared Redis store. The run's configuration comes from the
coordinator; API keys come from this machine's environment. Runs until interrupted; tasks in
flight are then recorded as interrupted and played again elsewhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			node := f.node()
			if err := node.Validate(); err != nil { // it names a missing --cluster first
				return usage(err)
			}
			if slots < 1 {
				return usage(fmt.Errorf("--slots %d: must be at least 1", slots))
			}
			st, rates, err := openShared(cmd.Context(), redisURL)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rates.Close()
			stderr := cmd.ErrOrStderr()
			// The LLM limits (--llm-rpm, --llm-tpm of the run) are one budget for the cluster.
			opt := session.Options{LLM: session.LLMOptions{Shared: rates}}
			w, err := cluster.StartWorker(cluster.WorkerConfig{Node: node, Slots: slots, Store: st, Log: stderr, Options: opt})
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "worker of cluster %s at %s with %d slot(s)\n", node.Cluster, w.Address(), slots)
			<-cmd.Context().Done()
			fmt.Fprintln(stderr, "worker: leaving the cluster")
			w.Close()
			return nil
		},
	}
	f.define(cmd.Flags(), "127.0.0.1:0")
	cmd.Flags().IntVar(&slots, "slots", runtime.NumCPU(), "episodes played here at once (default: the cores)")
	cmd.Flags().StringVar(&redisURL, "redis-url", "", "the cluster's shared Redis store (default $REDIS_OM_URL)")
	return cmd
}

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/progress"
	"github.com/also-project/also/session"
)

func newExperimentCmd() *cobra.Command {
	var opt session.ExperimentOptions
	var dryRun, quiet bool
	var format string
	var every time.Duration
	var clusterOpts clusterFlags
	var redisURL string
	cmd := &cobra.Command{
		Use:   "experiment FILE.toml",
		Short: "Run a grid of configurations (methods x seats x models x opponents x seeds ...), one tag per cell",
		Long: `Run every cell of an experiment file: [base] holds run-file keys every cell shares, [grid]
holds axes (lists of values; a list of tables is a bundle axis, each table setting several keys
together, with an optional label), and [[cell]] entries add cells by hand. Each cell's tag is
derived from its configuration (it ends with the configuration fingerprint), prefixed by the
file's name.

The plan is printed first (cells, episodes, LLM calls by role, estimated tokens and dollars);
--dry-run stops there and writes nothing. A rerun continues: cells whose tasks are all stored do
nothing, partly done cells run what is missing; a cell whose tag is bound to another
configuration is refused before anything runs. Cells run concurrently with at most --batch-size
episodes in flight over all cells; live cells share one LLM router, so the per-provider limits
(llm_concurrency, llm_rpm, llm_tpm) hold for the whole experiment.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usage(fmt.Errorf("--format %q: want table or json", format))
			}
			exp, err := config.LoadExperiment(args[0])
			if err != nil {
				return usage(err)
			}
			cells, err := exp.Cells()
			if err != nil {
				return usage(err)
			}
			name := exp.Name
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			plan, err := session.PlanExperiment(cmd.Context(), name, cells, session.PlanAssumptions{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dryRun && format == "json" {
				return encodeIndented(out, plan)
			}
			if err := plan.WriteText(out); err != nil {
				return err
			}
			if dryRun {
				return nil
			}
			if opt.BatchSize < 0 {
				return usage(fmt.Errorf("--batch-size %d: must be at least 1 (0 = the largest cell batch_size)", opt.BatchSize))
			}
			if redisURL != "" && clusterOpts.name == "" {
				return usage(fmt.Errorf("--redis-url is the cluster's shared store (with --cluster); a local experiment takes redis_url from its file"))
			}
			if clusterOpts.name != "" || clusterOpts.peers != "" || clusterOpts.secret != "" {
				if redisURL == "" && len(cells) > 0 {
					redisURL = cells[0].Run.RedisURL
				}
				var ro session.Options
				closeCluster, err := clusterOpts.applyCluster(cmd.Context(), config.Run{RedisURL: redisURL}, &ro)
				if err != nil {
					return err
				}
				defer closeCluster()
				opt.Store, opt.Dispatch = ro.Store, ro.Dispatch
				if ro.LLM.Shared != nil {
					opt.LLM.Shared = ro.LLM.Shared
				}
			}
			stderr := cmd.ErrOrStderr()
			if !quiet {
				fmt.Fprintln(stderr, plan.Summary())
				opt.Progress = progress.NewTracker()
				display := progress.Show(stderr, opt.Progress, progress.DisplayOptions{Every: every})
				defer display.Close()
				opt.Log = display.Log
			}
			results, runErr := session.RunExperiment(cmd.Context(), plan, opt)
			writeCellResults(out, results)
			return runErr
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and stop: call, write and spend nothing")
	cmd.Flags().StringVar(&format, "format", "table", "the --dry-run plan as table or json")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	cmd.Flags().IntVar(&opt.BatchSize, "batch-size", 0, "episodes in flight over all cells (0 = the largest cell batch_size)")
	cmd.Flags().StringVar(&opt.OutDir, "out", "", "folder of the cells' run folders (default runs/<experiment name>)")
	cmd.Flags().DurationVar(&every, "progress-every", 10*time.Second, "interval of the progress lines when stderr is not a terminal")
	clusterOpts.define(cmd.Flags(), "127.0.0.1:7946")
	cmd.Flags().StringVar(&redisURL, "redis-url", "", "with --cluster: the shared Redis store (default: the cells' redis_url, then $REDIS_OM_URL)")
	return cmd
}

// writeCellResults prints one line per cell: its tag, what it did and where its run folder is.
func writeCellResults(w io.Writer, results []session.CellOutcome) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\ncell\ttag\tresult\trun folder\t")
	for _, r := range results {
		result, dir := "", "-"
		switch {
		case r.Skipped:
			result = "already done"
		case r.Outcome != nil:
			s := r.Outcome.Summary
			result = fmt.Sprintf("%d done, %d failed", s.Done, s.Failed)
			if r.Outcome.Skipped > 0 {
				result += fmt.Sprintf(" (+%d stored before)", r.Outcome.Skipped)
			}
			dir = r.Outcome.Dir
		case r.Err != nil:
			result = "not run: " + r.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Cell.Label, r.Cell.Tag, result, dir)
	}
	tw.Flush()
}

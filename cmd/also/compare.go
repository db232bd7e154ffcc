package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// loadedTag is one tag's episodes and the configuration it is bound to (nil when not recorded).
type loadedTag struct {
	report.TagEpisodes
	Config *store.RunConfig
}

// tagsFlag is --tags A,B,... or --experiment FILE: the tags compare, plot and report read.
type tagsFlag struct {
	raw, experiment string
	// cells names each experiment tag's cell ("bandit_type=exp3 sim.opponent=adversarial").
	cells map[string]string
	// store and redisURL are where the experiment's cells store their episodes, when they agree.
	store, redisURL string
}

// useExperimentStore points sf at the store the experiment's cells write to, unless --store or
// --redis-url was given: `also compare --experiment FILE` reads what `also experiment FILE` wrote.
func (f *tagsFlag) useExperimentStore(cmd *cobra.Command, sf *storeFlags) {
	if f.experiment == "" || cmd.Flags().Changed("store") || cmd.Flags().Changed("redis-url") {
		return
	}
	if f.redisURL != "" {
		sf.redisURL = f.redisURL
	} else if f.store != "" {
		sf.dir = f.store
	}
}

func (f *tagsFlag) define(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.raw, "tags", "", "comma-separated tags to read (this or --experiment)")
	cmd.Flags().StringVar(&f.experiment, "experiment", "", "read the tags of an experiment file's cells, in file order (also experiment FILE)")
}

// list parses --tags (non-empty, no blanks, no repeats) or expands --experiment into its cells' tags.
func (f *tagsFlag) list() ([]string, error) {
	if f.experiment != "" {
		if strings.TrimSpace(f.raw) != "" {
			return nil, usage(fmt.Errorf("--tags and --experiment both given: use one"))
		}
		exp, err := config.LoadExperiment(f.experiment)
		if err != nil {
			return nil, usage(fmt.Errorf("--experiment: %w", err))
		}
		cells, err := exp.Cells()
		if err != nil {
			return nil, usage(fmt.Errorf("--experiment: %w", err))
		}
		f.cells = map[string]string{}
		f.store, f.redisURL = cells[0].Run.Store, cells[0].Run.RedisURL
		var out []string
		for _, c := range cells {
			if c.Run.Store != f.store || c.Run.RedisURL != f.redisURL {
				f.store, f.redisURL = "", "" // cells in different stores: --store decides
			}
			if _, dup := f.cells[c.Tag]; dup {
				continue
			}
			f.cells[c.Tag] = c.Label
			out = append(out, c.Tag)
		}
		return out, nil
	}
	if strings.TrimSpace(f.raw) == "" {
		return nil, usage(fmt.Errorf("--tags or --experiment is required (e.g. --tags also_run,random_run)"))
	}
	var out []string
	for _, t := range strings.Split(f.raw, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, usage(fmt.Errorf("--tags %q: empty tag in the list", f.raw))
		}
		if slices.Contains(out, t) {
			return nil, usage(fmt.Errorf("--tags %q: tag %s given twice", f.raw, t))
		}
		out = append(out, t)
	}
	return out, nil
}

// missing says what to do about a tag without episodes: for an experiment's cell, run it.
func (f *tagsFlag) missing(tag string) string {
	if label, ok := f.cells[tag]; ok {
		return fmt.Sprintf(" (cell %q of %s has not run: also experiment %s)", label, f.experiment, f.experiment)
	}
	return ""
}

// load reads tags from the store the flags name (the experiment's, unless --store or --redis-url
// was given): the one read path of compare, plot and report.
func (f *tagsFlag) load(cmd *cobra.Command, sf *storeFlags, tags []string) (*sotopia.Dataset, []loadedTag, string, error) {
	f.useExperimentStore(cmd, sf)
	return sf.loadTags(cmd.Context(), tags, f.missing)
}

// loadTags opens the store read-only once and reads every tag's episodes and configuration.
func (sf *storeFlags) loadTags(ctx context.Context, tags []string, missing func(tag string) string) (*sotopia.Dataset, []loadedTag, string, error) {
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, nil, "", err
	}
	st, source, err := sf.open(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	defer st.Close()
	var out []loadedTag
	for _, tag := range tags {
		eps, err := episodesUnderTag(ctx, st, tag)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w%s", err, missing(tag))
		}
		rc, err := tagConfig(ctx, st, tag)
		if err != nil {
			return nil, nil, "", err
		}
		out = append(out, loadedTag{TagEpisodes: report.TagEpisodes{Tag: tag, Episodes: eps}, Config: rc})
	}
	return ds, out, source, nil
}

func episodesOf(tags []loadedTag) []report.TagEpisodes {
	out := make([]report.TagEpisodes, len(tags))
	for i, t := range tags {
		out[i] = t.TagEpisodes
	}
	return out
}

func newCompareCmd() *cobra.Command {
	var sf storeFlags
	var tf tagsFlag
	var format, evalSet, baseline string
	var paperTable, transfer, strategies bool
	cmd := &cobra.Command{
		Use:   "compare --tags A,B,...",
		Short: "Compare tags: per seat, every Sotopia dimension and Overall with 95% CIs; paired differences against a baseline",
		Long: `Read the tags' episodes from the store (read-only). Each task counts once, by its last attempt;
failed and interrupted tasks are counted, not averaged. Per tag and seat (p1, p2, and avg = the
per-episode mean of both seats, as the paper aggregates) every Sotopia dimension, Overall, the mean
per-turn reward and, in the sim world, the cumulative regret: mean, Student-t 95% CI and n.

With two tags or more, every tag is compared with --baseline (default: the first tag) over the tasks
both scored: the mean paired difference, a percentile bootstrap 95% CI (10000 resamples, fixed
seed, so the same data always gives the same numbers) and a two-sided sign-flip (paired
randomisation) p-value, exact up to 16 tasks, else from 10000 random sign assignments; the
p-values are Holm-corrected across all the differences printed.

--paper-table prints the paper's layout instead (Goal, Rel, Know, Overall on All and Hard, the
mean of both seats per episode, also-method.md 3.4 and 10.1).

--transfer prints the generalisation comparison (also-method.md 10.2): each tag's mode is read from
its configuration (no policy_in: baseline, the cold start; policy_in with policy_freeze: test;
policy_in alone: finetune), then Goal, Overall (and regret in the sim world) per mode and the
paired differences test - baseline, finetune - baseline, finetune - test.

--strategies prints the strategy analysis: every tag a static run holding one arm (static_arm),
ranked by Overall, each compared with the arm-0 (no strategy) tag.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(report.CompareFormats, format) {
				return usage(fmt.Errorf("--format %q: want one of %s", format, strings.Join(report.CompareFormats, ", ")))
			}
			if evalSet != "all" && evalSet != "hard" {
				return usage(fmt.Errorf("--eval-set %q: want all or hard", evalSet))
			}
			tags, err := tf.list()
			if err != nil {
				return err
			}
			if baseline != "" && !slices.Contains(tags, baseline) {
				return usage(fmt.Errorf("--baseline %q is not one of --tags (%s)", baseline, strings.Join(tags, ", ")))
			}
			if n := countTrue(paperTable, transfer, strategies); n > 1 {
				return usage(fmt.Errorf("--paper-table, --transfer and --strategies are different layouts: pick one"))
			}
			if (transfer || strategies) && baseline != "" {
				return usage(fmt.Errorf("--baseline does not apply to --transfer or --strategies: their reference (the cold start, arm 0) is read from each tag's configuration"))
			}
			if paperTable && cmd.Flags().Changed("eval-set") {
				return usage(fmt.Errorf("--paper-table shows both All and Hard: drop --eval-set"))
			}
			ds, loaded, _, err := tf.load(cmd, &sf, tags)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case transfer:
				return writeTransfer(out, loaded, evalSet, format, ds)
			case strategies:
				return writeStrategies(out, loaded, evalSet, format, ds)
			}
			if paperTable {
				all, err := report.Compare(episodesOf(loaded), "all", baseline, ds)
				if err != nil {
					return err
				}
				hard, err := report.Compare(episodesOf(loaded), "hard", baseline, ds)
				if err != nil {
					return err
				}
				return report.WritePaperTable(out, report.PaperTable(all, hard), format)
			}
			c, err := report.Compare(episodesOf(loaded), evalSet, baseline, ds)
			if err != nil {
				return err
			}
			return report.WriteComparison(out, c, format)
		},
	}
	sf.define(cmd, false)
	tf.define(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "table, csv, md or json")
	cmd.Flags().StringVar(&evalSet, "eval-set", "all", "all, or hard (Sotopia-hard scenarios only)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "tag the others are compared with (default: the first of --tags)")
	cmd.Flags().BoolVar(&paperTable, "paper-table", false, "print the paper's table: Goal, Rel, Know, Overall on All and Hard")
	cmd.Flags().BoolVar(&transfer, "transfer", false, "print the generalisation comparison: baseline (cold), test (frozen) and finetune, modes read from the tags' configurations")
	cmd.Flags().BoolVar(&strategies, "strategies", false, "print the strategy analysis: static runs of one arm each, ranked, against arm 0 (no strategy)")
	return cmd
}

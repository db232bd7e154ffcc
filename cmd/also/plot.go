package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/report"
	"github.com/also-project/also/report/plots"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// plotTags pairs each loaded tag's episodes with the names of its pool's arms.
func plotTags(loaded []loadedTag, pools [][]sotopia.Strategy) []plots.Tag {
	out := make([]plots.Tag, len(loaded))
	for i, t := range loaded {
		out[i] = plots.Tag{Name: t.Tag, Episodes: t.Episodes}
		for _, s := range pools[i] {
			out[i].ArmNames = append(out[i].ArmNames, s.ID)
		}
	}
	return out
}

// plotsInEvalSet keeps the episodes of the evaluation set, so the figures match the tables.
func plotsInEvalSet(tags []plots.Tag, evalSet string, ds *sotopia.Dataset) []plots.Tag {
	out := make([]plots.Tag, len(tags))
	for i, t := range tags {
		out[i].Name, out[i].ArmNames = t.Name, t.ArmNames
		for _, ep := range t.Episodes {
			if report.InEvalSet(ep, evalSet, ds) {
				out[i].Episodes = append(out[i].Episodes, ep)
			}
		}
	}
	return out
}

func newPlotCmd() *cobra.Command {
	var sf storeFlags
	var tf tagsFlag
	var outDir, evalSet string
	cmd := &cobra.Command{
		Use:   "plot --tags A,B,... --out DIR",
		Short: "Plot tags (PNG and SVG): arms per turn, per-turn reward, cumulative regret, dimension bars",
		Long: `Read the tags' episodes (each task's last attempt) and write, as PNG and SVG, into --out:
  arms_<tag>_p1|p2   per turn, the share of episodes in which each arm was active (heat map)
  reward_p1|p2       mean per-turn reward by turn, one line per tag, 95% t band
  regret_p1|p2       cumulative regret by turn (sim world only), 95% t band
  dimensions_p1|p2|avg  every Sotopia dimension and Overall per tag, 95% t whiskers
--out is created if missing; an existing figure is never replaced (the command fails naming it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outDir == "" {
				return usage(fmt.Errorf("--out is required: the directory the figures go to"))
			}
			if evalSet != "all" && evalSet != "hard" {
				return usage(fmt.Errorf("--eval-set %q: want all or hard", evalSet))
			}
			tags, err := tf.list()
			if err != nil {
				return err
			}
			ds, loaded, _, err := tf.load(cmd, &sf, tags)
			if err != nil {
				return err
			}
			c, err := report.Compare(episodesOf(loaded), evalSet, "", ds)
			if err != nil {
				return err
			}
			pools, err := armPools(loaded)
			if err != nil {
				return err
			}
			tagPlots := plotTags(loaded, pools)
			figs, err := plots.All(plotsInEvalSet(tagPlots, evalSet, ds), c)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			for _, f := range figs {
				paths, err := f.Save(outDir)
				for _, p := range paths {
					fmt.Fprintln(cmd.OutOrStdout(), p)
				}
				if err != nil {
					return fmt.Errorf("--out %s: %w", outDir, err)
				}
			}
			return nil
		},
	}
	sf.define(cmd, false)
	tf.define(cmd)
	cmd.Flags().StringVar(&outDir, "out", "", "directory for the figures (required)")
	cmd.Flags().StringVar(&evalSet, "eval-set", "all", "all, or hard (Sotopia-hard scenarios only)")
	return cmd
}

// armPool is config.BoundPool naming the tag; an unreadable configuration or an unknown strategy
// version is a usage error.
func armPool(tag string, rc *store.RunConfig) ([]sotopia.Strategy, error) {
	var bound []byte
	if rc != nil {
		bound = rc.Config
	}
	pool, err := config.BoundPool(bound)
	if err != nil {
		return nil, usage(fmt.Errorf("tag %s: %w", displayTag(tag), err))
	}
	return pool, nil
}

// armPools is each loaded tag's pool, in order.
func armPools(loaded []loadedTag) ([][]sotopia.Strategy, error) {
	pools := make([][]sotopia.Strategy, len(loaded))
	for i, t := range loaded {
		pool, err := armPool(t.Tag, t.Config)
		if err != nil {
			return nil, err
		}
		pools[i] = pool
	}
	return pools, nil
}

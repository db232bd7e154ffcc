package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

func newEvalCmd() *cobra.Command {
	var sf storeFlags
	var tag, format, evalSet string
	cmd := &cobra.Command{
		Use:   "eval --tag T",
		Short: "Sotopia-Eval scores of a tag's episodes: per episode and per seat (seven dimensions + overall)",
		Long: `Read a tag's episodes from the store and report each episode's final per-seat scores and
the per-seat means with standard errors. Failed episodes are listed but not averaged. --eval-set
hard keeps only the Sotopia-hard scenarios.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			if evalSet != "all" && evalSet != "hard" {
				return fmt.Errorf("--eval-set %q: want all or hard", evalSet)
			}
			ds, eps, err := sf.tagEpisodes(cmd.Context(), tag)
			if err != nil {
				return err
			}
			ev, err := report.Evaluate(tag, evalSet, eps, ds)
			if err != nil {
				return err
			}
			if format == "json" {
				return encodeIndented(cmd.OutOrStdout(), ev)
			}
			if err := writeEvalEpisodes(cmd.OutOrStdout(), ev); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return report.WriteEvalTable(cmd.OutOrStdout(), ev)
		},
	}
	sf.define(cmd, false)
	cmd.Flags().StringVar(&tag, "tag", "", "experiment tag to evaluate (required)")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().StringVar(&evalSet, "eval-set", "all", "all, or hard (Sotopia-hard scenarios only)")
	return cmd
}

// writeEvalEpisodes lists each episode's per-seat overall and goal scores.
func writeEvalEpisodes(w io.Writer, ev report.Eval) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "episode\tcodename\tstatus\tp1 overall\tp2 overall\tp1 goal\tp2 goal\terror")
	for _, e := range ev.Episodes {
		cells := []string{"-", "-", "-", "-"}
		if len(e.Seats) == sotopia.Seats {
			cells = []string{
				fmt.Sprintf("%.3f", e.Seats[0].Overall), fmt.Sprintf("%.3f", e.Seats[1].Overall),
				fmt.Sprintf("%.1f", e.Seats[0].Dimensions["goal"]), fmt.Sprintf("%.1f", e.Seats[1].Dimensions["goal"]),
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.PK, e.Codename, e.Status, cells[0], cells[1], cells[2], cells[3], e.Error)
	}
	return tw.Flush()
}

// tagEpisodes loads the embedded dataset and a tag's episodes from the configured store.
func (sf *storeFlags) tagEpisodes(ctx context.Context, tag string) (*sotopia.Dataset, []*sotopia.EpisodeLog, error) {
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, nil, err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	eps, err := episodesUnderTag(ctx, st, tag)
	return ds, eps, err
}

// episodesUnderTag returns a tag's episodes, or an error listing the tags the store knows.
func episodesUnderTag(ctx context.Context, st store.Store, tag string) ([]*sotopia.EpisodeLog, error) {
	if tag == "" {
		known, err := knownTags(ctx, st)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("--tag is required; known tags: %s", known)
	}
	eps, err := st.Episodes(ctx, store.Query{Tag: tag})
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		known, err := knownTags(ctx, st)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no episodes under tag %s; known tags: %s", tag, known)
	}
	return eps, nil
}

func knownTags(ctx context.Context, st store.Store) (string, error) {
	tags, err := st.Tags(ctx)
	if err != nil {
		return "", err
	}
	if len(tags) == 0 {
		return "none (the store has no episodes: `also run` or `also db import` first)", nil
	}
	shown := make([]string, len(tags))
	for i, t := range tags {
		shown[i] = displayTag(t)
	}
	return strings.Join(shown, ", "), nil
}

func displayTag(tag string) string {
	if tag == "" {
		return "(no tag)"
	}
	return tag
}

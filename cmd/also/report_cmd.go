package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/internal/atomicfile"
	"github.com/also-project/also/report"
	"github.com/also-project/also/report/page"
	"github.com/also-project/also/report/plots"
)

func newReportCmd() *cobra.Command {
	var sf storeFlags
	var tf tagsFlag
	var out, title string
	cmd := &cobra.Command{
		Use:   "report --tags A,B,... --out report.html",
		Short: "Write one self-contained HTML report: configurations, comparison tables, figures, every transcript",
		Long: `Read the tags' episodes (read-only) and write one HTML file with inline CSS and SVG (it makes
no request when opened): the configuration each tag is bound to, the comparison tables of
also compare (all episodes, paired differences against the first tag, the paper's table on all
and hard), the figures of also plot, and an episode browser with every transcript showing, per
turn, the action, and for each seat the active arm's text, its probability and the reward.
An existing --out is never replaced.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usage(fmt.Errorf("--out is required (e.g. --out report.html)"))
			}
			tags, err := tf.list()
			if err != nil {
				return err
			}
			ds, loaded, source, err := tf.load(cmd, &sf, tags)
			if err != nil {
				return err
			}
			all, err := report.Compare(episodesOf(loaded), "all", "", ds)
			if err != nil {
				return err
			}
			hard, err := report.Compare(episodesOf(loaded), "hard", "", ds)
			if err != nil {
				return err
			}
			pools, err := armPools(loaded)
			if err != nil {
				return err
			}
			figs, err := plots.All(plotTags(loaded, pools), all)
			if err != nil {
				return err
			}
			if title == "" {
				switch {
				case tf.experiment != "":
					title = "also report: experiment " + tf.experiment
				case len(tags) <= 3:
					title = "also report: " + strings.Join(tags, ", ")
				default:
					title = fmt.Sprintf("also report: %d tags", len(tags))
				}
			}
			doc := page.Doc{Title: title, Generated: time.Now().UTC().Format(time.RFC3339), Source: source, All: all, Hard: hard, Figures: figs}
			for i, t := range loaded {
				info := page.TagInfo{Name: t.Tag, Cell: tf.cells[t.Tag], Episodes: t.Episodes, Pool: pools[i]}
				if rc := t.Config; rc != nil {
					info.Bound, info.Fingerprint, info.Created, info.Config = true, rc.Fingerprint, rc.Created.Format(time.RFC3339), rc.Config
					diffs, err := fromDefaults(rc.Config)
					if err != nil {
						diffs = []string{fmt.Sprintf("(configuration unreadable: %v)", err)}
					}
					info.Diffs = diffs
				}
				doc.Tags = append(doc.Tags, info)
			}
			var buf bytes.Buffer
			if err := page.Write(&buf, doc); err != nil {
				return err
			}
			if err := atomicfile.WriteNewFile(out, buf.Bytes(), 0o644); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("--out: %w (an existing report is never replaced)", err)
				}
				return fmt.Errorf("--out %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%d KiB, %d figures)\n", out, buf.Len()/1024, len(figs))
			return nil
		},
	}
	sf.define(cmd, false)
	tf.define(cmd)
	cmd.Flags().StringVar(&out, "out", "", "HTML file to write (required; never replaced)")
	cmd.Flags().StringVar(&title, "title", "", "the report's title (default: the tags, or the experiment file)")
	return cmd
}

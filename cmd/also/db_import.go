package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

func newDBImportCmd(sf *storeFlags) *cobra.Command {
	var tag string
	cmd := &cobra.Command{
		Use:   "import FILE [--tag T]",
		Short: "Read Sotopia episode JSONL (e.g. published Sotopia episodes) into the store; FILE - is stdin",
		Long: `Read Sotopia's episode JSONL into the store as done episodes, keeping each line's
experiment_tag and episode_id. With --tag T the episodes are imported as copies under T with ids
of their own (derived from T and the episode_id), so the episodes they came from, and their tags,
are untouched. Nothing stored is replaced: episodes already stored with the same content are
skipped, and an id stored with other content refuses the whole import before anything is written.
Tags bound to a run's configuration do not take imports.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("tag") && tag == "" {
				return usage(errors.New("--tag is empty: omit it to keep each episode's experiment_tag"))
			}
			ctx := cmd.Context()
			ds, err := sotopia.Embedded()
			if err != nil {
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			eps, err := store.ImportJSONL(r, ds)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if len(eps) == 0 {
				return fmt.Errorf("%s holds no episodes", args[0])
			}
			if tag != "" {
				for _, ep := range eps {
					ep.PK, ep.Tag = store.ImportedPK(tag, ep.PK), tag
				}
			}
			st, where, err := sf.openWriter(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := store.Import(ctx, st, eps)
			switch {
			case errors.Is(err, store.ErrRunTag):
				return usage(fmt.Errorf("import %s: %w; nothing was imported", args[0], err))
			case err != nil && res.Total() == 0:
				return fmt.Errorf("import %s: %w; nothing was imported", args[0], err)
			case err != nil:
				return fmt.Errorf("import %s: %w (after %d episodes were written)", args[0], err, res.Total())
			}
			stored, repeated := 0, 0
			for _, t := range res.Tags() {
				stored += res.Stored[t]
				repeated += res.Repeated[t]
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d episodes into %s", res.Total(), where)
			if stored > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d already stored, unchanged)", stored)
			}
			if repeated > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d repeated in the input, read once)", repeated)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "tag\timported\talready stored")
			for _, t := range res.Tags() {
				fmt.Fprintf(w, "%s\t%d\t%d\n", displayTag(t), res.Imported[t], res.Stored[t])
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&tag, "tag", "", "import copies under this tag, with ids of their own (the originals stay as they are)")
	return cmd
}

package regret

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints rows as an aligned table, one block per opponent.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "opponent\tbandit\tturns\tdynamic regret\t± se\tstatic regret\t± se\tmean reward\tepisodes\t")
	for i, r := range rows {
		if i > 0 && rows[i-1].Opponent != r.Opponent {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%d\t\n", r.Opponent, r.Bandit, r.Turns,
			r.MeanRegret, r.RegretSE, r.MeanStaticRegret, r.StaticRegretSE, r.MeanReward, r.Episodes)
	}
	return tw.Flush()
}

// WriteJSON prints rows as an indented JSON array.
func WriteJSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

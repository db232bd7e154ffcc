package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/also-project/also/internal/atomicfile"
	"github.com/also-project/also/sotopia"
)

// Folder is a run folder: run.json (the configuration), episodes.jsonl and summary.json.
type Folder struct {
	Dir string
}

// FreeName is dir, or the first of dir-2, dir-3 ... that is missing or empty. Derived run folder
// names carry the time to the second, and a resumed run can start within the same second as the
// run it continues: the new folder gets its own name instead of a refusal.
func FreeName(dir string) string {
	for i := 1; ; i++ {
		name := dir
		if i > 1 {
			name = fmt.Sprintf("%s-%d", dir, i)
		}
		if entries, err := os.ReadDir(name); err != nil || len(entries) == 0 {
			return name
		}
	}
}

// CreateFolder makes a new run folder; an existing non-empty folder is refused so nothing is lost.
func CreateFolder(dir string) (*Folder, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("run folder %s already exists and is not empty; choose another --out", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	return &Folder{Dir: dir}, nil
}

// WriteJSON writes v as indented JSON to name inside the folder, atomically.
func (f *Folder) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(f.Dir, name), append(b, '\n'), 0o644)
}

// WriteEpisodes writes episodes.jsonl ordered by plan index then attempt, so two runs with one
// seed produce identical files whatever order episodes finished in.
func (f *Folder) WriteEpisodes(eps []Indexed) error {
	sort.SliceStable(eps, func(i, j int) bool {
		a, b := eps[i], eps[j]
		return a.Index < b.Index || (a.Index == b.Index && a.Episode.Attempt < b.Episode.Attempt)
	})
	return atomicfile.Write(filepath.Join(f.Dir, "episodes.jsonl"), 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, e := range eps {
			if err := enc.Encode(e.Episode); err != nil {
				return err
			}
		}
		return nil
	})
}

// Indexed is an episode with its position in the run's plan.
type Indexed struct {
	Index   int
	Episode *sotopia.EpisodeLog
}

// ReadEpisodes reads an episodes.jsonl file.
func ReadEpisodes(path string) ([]*sotopia.EpisodeLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*sotopia.EpisodeLog
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for line := 1; sc.Scan(); line++ {
		var ep sotopia.EpisodeLog
		if err := json.Unmarshal(sc.Bytes(), &ep); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, &ep)
	}
	return out, sc.Err()
}

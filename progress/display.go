package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// DisplayOptions tune a Display. Zero values take the defaults.
type DisplayOptions struct {
	// Every is the interval of the plain lines (default 10s); the bar refreshes on its own.
	Every time.Duration
	// Terminal forces the bar (true) or plain lines (false); nil detects a terminal.
	Terminal *bool
}

// Display shows a Tracker until Close. Lines written to Log appear above a live bar (or in
// between the plain lines), so a run's other messages do not tear the bar.
type Display struct {
	Log   io.Writer
	close func()
}

// Close stops the display after one last update.
func (d *Display) Close() { d.close() }

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Show starts displaying t on w: a bar when w is a terminal, else a plain line every
// opt.Every and a last one at Close.
func Show(w io.Writer, t *Tracker, opt DisplayOptions) *Display {
	if opt.Every <= 0 {
		opt.Every = 10 * time.Second
	}
	term := IsTerminal(w)
	if opt.Terminal != nil {
		term = *opt.Terminal
	}
	if term {
		return showBar(w, t)
	}
	return showLines(w, t, opt.Every)
}

// showLines prints a snapshot line every interval (none while nothing changed) and at Close.
func showLines(w io.Writer, t *Tracker, every time.Duration) *Display {
	lw := &lockedWriter{w: w}
	last := ""
	print := func() {
		line := t.Snapshot().Line()
		if line != last {
			fmt.Fprintln(lw, line)
			last = line
		}
	}
	return &Display{Log: lw, close: repeat(every, print, print)}
}

// showBar draws an mpb bar: episodes finished of planned, then the counts, tokens, dollars and ETA.
func showBar(w io.Writer, t *Tracker) *Display {
	// Auto-refresh: mpb would not draw to what it does not detect as a terminal (a forced bar),
	// and then needs a width (a terminal's own width is used otherwise).
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithRefreshRate(200 * time.Millisecond), mpb.WithAutoRefresh()}
	if !IsTerminal(w) {
		opts = append(opts, mpb.WithWidth(160))
	}
	p := mpb.New(opts...)
	snap := func() Snapshot { return t.Snapshot() }
	bar := p.New(int64(max(1, snap().Planned)), mpb.BarStyle(),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			s := snap()
			return fmt.Sprintf("%d/%d done, %d failed, %d in flight", s.Done, s.Planned, s.Failed, s.InFlight)
		}, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			s := snap()
			return fmt.Sprintf("%d turns, %s tok, $%.4f, %s, ETA %s", s.Turns, Tokens(s.PromptTokens+s.CompletionTokens),
				s.CostUSD, s.Elapsed.Round(time.Second), s.etaText())
		})))
	update := func() {
		s := snap()
		bar.SetTotal(int64(max(1, s.Planned)), false)
		bar.SetCurrent(int64(s.Done + s.Failed))
	}
	return &Display{Log: p, close: repeat(200*time.Millisecond, update, func() {
		update()
		// Complete the bar where it stands (an interrupted run does not reach its total).
		bar.SetTotal(-1, true)
		p.Wait()
	})}
}

// repeat calls tick every interval until the returned stop, which waits for the ticking
// goroutine, then calls last once (so last never races a tick). stop is safe to call twice.
func repeat(every time.Duration, tick, last func()) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				tick()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-stopped
			last()
		})
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

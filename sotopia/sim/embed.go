package sim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultDim is the embedding dimension used when none is configured.
const DefaultDim = 256

// HashEmbedder maps text to a vector by signed feature hashing of lower-cased word unigrams and
// bigrams, L2-normalised. Words are maximal runs of letters and digits; English stop words are
// dropped first. It is deterministic, read-only after construction (safe for concurrent use) and
// allocates only the output vector.
type HashEmbedder struct {
	dim  int
	stop map[uint64]bool // hashes of the stop words, read-only after construction
}

// NewHashEmbedder builds an embedder of the given dimension (DefaultDim when dim is 0).
func NewHashEmbedder(dim int) (*HashEmbedder, error) {
	if dim == 0 {
		dim = DefaultDim
	}
	if dim < 1 {
		return nil, fmt.Errorf("sim: embedder dimension %d must be positive", dim)
	}
	h := &HashEmbedder{dim: dim, stop: map[uint64]bool{}}
	for _, w := range strings.Fields(embedStopwords) {
		f := uint64(fnvOffset)
		for _, r := range w {
			f = hashRune(f, r)
		}
		h.stop[f] = true
	}
	return h, nil
}

// embedStopwords are dropped before unigrams and bigrams are formed (as scikit-learn's
// HashingVectorizer does with stop_words): in a few hundred buckets, the counts of words like
// "the" and "I" would otherwise swamp every content word they collide with.
const embedStopwords = `a about after again all also am an and any are as at be because been before being both but by
can could did do does doing for from had has have having he her here hers herself him himself his how i if in into is
it its itself just let me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves s t d ll m re ve`

// Dim is the length of every vector this embedder returns.
func (h *HashEmbedder) Dim() int { return h.dim }

// Embed implements sotopia.Embedder.
func (h *HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Vector embeds one text into a new slice.
func (h *HashEmbedder) Vector(text string) []float64 {
	v := make([]float64, h.dim)
	h.EmbedInto(v, text)
	return v
}

// EmbedInto overwrites dst (length Dim) with the embedding of text. A text without words gives
// the zero vector.
func (h *HashEmbedder) EmbedInto(dst []float64, text string) {
	if len(dst) != h.dim {
		panic(fmt.Sprintf("sim: EmbedInto buffer has length %d, want %d", len(dst), h.dim))
	}
	clear(dst)
	dim := uint64(h.dim)
	add := func(f uint64) {
		f = mix64(f)
		// The top bit chooses the sign so that collisions cancel on average instead of piling up.
		if f>>63 == 0 {
			dst[f%dim]++
		} else {
			dst[f%dim]--
		}
	}
	var prev uint64
	havePrev := false
	inWord := false
	var cur uint64
	for i := 0; i < len(text); {
		c := text[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		if isWordRune(r) {
			if !inWord {
				inWord, cur = true, fnvOffset
			}
			cur = hashRune(cur, unicode.ToLower(r))
			continue
		}
		if inWord {
			inWord = false
			if !h.stop[cur] {
				add(cur)
				if havePrev {
					add(bigram(prev, cur))
				}
				prev, havePrev = cur, true
			}
		}
	}
	if inWord && !h.stop[cur] {
		add(cur)
		if havePrev {
			add(bigram(prev, cur))
		}
	}
	var ss float64
	for _, x := range dst {
		ss += x * x
	}
	if ss == 0 {
		return
	}
	inv := 1 / math.Sqrt(ss)
	for i := range dst {
		dst[i] *= inv
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// hashRune feeds the UTF-8 bytes of r into an FNV-1a state.
func hashRune(h uint64, r rune) uint64 {
	if r < utf8.RuneSelf {
		return (h ^ uint64(r)) * fnvPrime
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// bigram combines two word hashes order-sensitively into a feature distinct from both unigrams.
func bigram(a, b uint64) uint64 { return mix64(a)*0x9e3779b97f4a7c15 ^ b ^ 0x5bd1e9955bd1e995 }

// mix64 is the splitmix64 finaliser: it spreads FNV's weak low bits over the whole word.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

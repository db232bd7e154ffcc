package llm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Provider is an API family a model name routes to.
type Provider string

const (
	ProviderOpenRouter Provider = "openrouter"
	ProviderOpenAI     Provider = "openai"
	ProviderCustom     Provider = "custom"
)

// Default endpoints and key variables per provider.
const (
	OpenRouterBaseURL = "https://openrouter.ai/api/v1"
	OpenAIBaseURL     = "https://api.openai.com/v1"

	OpenRouterKeyVar = "OPENROUTER_API_KEY"
	OpenAIKeyVar     = "OPENAI_API_KEY"
	CustomKeyVar     = "CUSTOM_API_KEY"
	// CustomDefaultKey is what local OpenAI-compatible servers (vLLM, Ollama, llama.cpp) accept
	// when no CUSTOM_API_KEY is set; it is Sotopia's default too.
	CustomDefaultKey = "EMPTY"
)

// SimModel is the name of the simulated world (sotopia/sim); it has no HTTP endpoint.
const SimModel = "sim"

// ErrSimModel is returned when the simulated world's name reaches the llm layer.
var ErrSimModel = errors.New(`model "sim" is the simulated world (sotopia/sim), not an LLM endpoint`)

// Route is where a model name sends its requests.
type Route struct {
	// Name is the model name as given, e.g. "custom/qwen@http://localhost:8000/v1".
	Name     string
	Provider Provider
	// Model is the id sent in the request body ("deepseek/deepseek-v3.2", "gpt-4o", "qwen").
	Model   string
	BaseURL string
	// KeyVar is the environment variable holding the API key.
	KeyVar string
	// DefaultKey is used when KeyVar is unset; empty means the key is required.
	DefaultKey string
}

// CacheName is the name used in cache keys: the model name without a custom endpoint's URL,
// so a recording survives moving a local server to another host or port.
func (r Route) CacheName() string {
	if r.Provider == ProviderCustom {
		return "custom/" + r.Model
	}
	return r.Name
}

// PriceNames lists the price-table keys that may price this route, most specific first: the
// full name, then the vendor/model id (so "openai/gpt-4o" prices both "openai/gpt-4o" and
// "openrouter/openai/gpt-4o").
func (r Route) PriceNames() []string {
	switch r.Provider {
	case ProviderOpenRouter:
		return []string{r.Name, r.Model}
	case ProviderCustom:
		return []string{r.CacheName()}
	}
	return []string{r.Name}
}

const modelForms = "openrouter/<vendor>/<model>, openai/<model>, custom/<model>@<base-url> or sim"

// ParseModel routes a model name:
//
//	openrouter/<vendor>/<model>   https://openrouter.ai/api/v1, OPENROUTER_API_KEY
//	openai/<model>                https://api.openai.com/v1, OPENAI_API_KEY
//	custom/<model>@<base-url>     <base-url>, CUSTOM_API_KEY (default "EMPTY")
//
// "sim" returns ErrSimModel: the simulated world is built elsewhere.
func ParseModel(name string) (Route, error) {
	if name != strings.TrimSpace(name) || strings.ContainsAny(name, " \t\r\n") {
		return Route{}, fmt.Errorf("model %q: contains whitespace", name)
	}
	if name == "" {
		return Route{}, fmt.Errorf("model name is empty: want %s", modelForms)
	}
	if name == SimModel {
		return Route{}, ErrSimModel
	}
	prefix, rest, ok := strings.Cut(name, "/")
	if !ok {
		return Route{}, fmt.Errorf("model %q has no provider prefix: want %s (did you mean \"openai/%s\"?)", name, modelForms, name)
	}
	switch Provider(prefix) {
	case ProviderOpenRouter:
		vendor, model, ok := strings.Cut(rest, "/")
		if !ok || vendor == "" || model == "" {
			return Route{}, fmt.Errorf("model %q: want openrouter/<vendor>/<model>, e.g. openrouter/deepseek/deepseek-v3.2", name)
		}
		return Route{Name: name, Provider: ProviderOpenRouter, Model: rest, BaseURL: OpenRouterBaseURL, KeyVar: OpenRouterKeyVar}, nil
	case ProviderOpenAI:
		if rest == "" {
			return Route{}, fmt.Errorf("model %q: want openai/<model>, e.g. openai/gpt-4o", name)
		}
		if strings.Contains(rest, "/") {
			return Route{}, fmt.Errorf("model %q: OpenAI model ids have no '/'; for a vendor/model id use openrouter/%s", name, rest)
		}
		return Route{Name: name, Provider: ProviderOpenAI, Model: rest, BaseURL: OpenAIBaseURL, KeyVar: OpenAIKeyVar}, nil
	case ProviderCustom:
		model, base, ok := strings.Cut(rest, "@")
		if !ok || model == "" || base == "" {
			return Route{}, fmt.Errorf("model %q: want custom/<model>@<base-url>, e.g. custom/qwen25-7b-instruct@http://localhost:8000/v1", name)
		}
		if err := checkBaseURL(base); err != nil {
			// The name is not echoed: its URL may carry a credential.
			return Route{}, fmt.Errorf("model custom/%s@...: %w", model, err)
		}
		return Route{Name: name, Provider: ProviderCustom, Model: model, BaseURL: base, KeyVar: CustomKeyVar, DefaultKey: CustomDefaultKey}, nil
	}
	return Route{}, fmt.Errorf("model %q: unknown provider %q: want %s", name, prefix, modelForms)
}

// checkBaseURL accepts absolute http(s) URLs without credentials (a key belongs in the
// environment, where it is kept out of names that end up in logs and episode records).
func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("base URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("base URL %q: scheme must be http or https", redactURL(u))
	}
	if u.Host == "" {
		return fmt.Errorf("base URL %q has no host", redactURL(u))
	}
	if u.User != nil {
		return fmt.Errorf("base URL %q carries credentials: put the key in %s instead", redactURL(u), CustomKeyVar)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("base URL %q must not have a query or fragment (a key in a URL would leak into logs)", redactURL(u))
	}
	return nil
}

func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("REDACTED")
	}
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}

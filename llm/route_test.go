package llm

import (
	"errors"
	"strings"
	"testing"
)

func TestParseModelRoutes(t *testing.T) {
	tests := []struct {
		name     string
		provider Provider
		model    string
		base     string
		keyVar   string
		defKey   string
		cache    string
	}{
		{"openrouter/deepseek/deepseek-v3.2", ProviderOpenRouter, "deepseek/deepseek-v3.2", OpenRouterBaseURL, OpenRouterKeyVar, "", "openrouter/deepseek/deepseek-v3.2"},
		{"openrouter/meta-llama/llama-3.1-8b-instruct:free", ProviderOpenRouter, "meta-llama/llama-3.1-8b-instruct:free", OpenRouterBaseURL, OpenRouterKeyVar, "", "openrouter/meta-llama/llama-3.1-8b-instruct:free"},
		{"openai/gpt-4o", ProviderOpenAI, "gpt-4o", OpenAIBaseURL, OpenAIKeyVar, "", "openai/gpt-4o"},
		{"custom/qwen25-7b-instruct@http://localhost:8000/v1", ProviderCustom, "qwen25-7b-instruct", "http://localhost:8000/v1", CustomKeyVar, "EMPTY", "custom/qwen25-7b-instruct"},
		{"custom/Qwen/Qwen2.5-7B-Instruct@https://gpu.example:8443/v1", ProviderCustom, "Qwen/Qwen2.5-7B-Instruct", "https://gpu.example:8443/v1", CustomKeyVar, "EMPTY", "custom/Qwen/Qwen2.5-7B-Instruct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseModel(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != tt.name || r.Provider != tt.provider || r.Model != tt.model || r.BaseURL != tt.base ||
				r.KeyVar != tt.keyVar || r.DefaultKey != tt.defKey || r.CacheName() != tt.cache {
				t.Errorf("got %+v (cache name %q)", r, r.CacheName())
			}
		})
	}
}

func TestParseModelRejects(t *testing.T) {
	tests := []struct{ name, want string }{
		{"", "empty"},
		{"gpt-4o", `did you mean "openai/gpt-4o"`},
		{"openrouter/deepseek", "openrouter/<vendor>/<model>"},
		{"openrouter//x", "openrouter/<vendor>/<model>"},
		{"openrouter/deepseek/", "openrouter/<vendor>/<model>"},
		{"openai/", "openai/<model>"},
		{"openai/openai/gpt-4o", "use openrouter/openai/gpt-4o"},
		{"custom/qwen", "custom/<model>@<base-url>"},
		{"custom/@http://x", "custom/<model>@<base-url>"},
		{"custom/qwen@localhost:8000", "scheme must be http or https"},
		{"custom/qwen@http://", "has no host"},
		{"custom/qwen@http://user:s3cret@host/v1", "carries credentials"},
		{"custom/qwen@http://host/v1?key=s3cret", "must not have a query"},
		{"together_ai/meta-llama/x", `unknown provider "together_ai"`},
		{" openai/gpt-4o", "whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseModel(tt.name)
			if err == nil {
				t.Fatalf("ParseModel(%q) succeeded", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the credential: %q", err)
			}
		})
	}
}

func TestParseModelSimIsHandledElsewhere(t *testing.T) {
	if _, err := ParseModel("sim"); !errors.Is(err, ErrSimModel) {
		t.Fatalf("got %v, want ErrSimModel", err)
	}
}

func TestRouterBaseURLOverrideKeepsCustomURL(t *testing.T) {
	r, err := NewRouter(RouterConfig{Env: NewEnv(nil, nil), Timeout: 1, Retry: DefaultRetryPolicy(),
		BaseURLs: map[Provider]string{ProviderOpenRouter: "http://127.0.0.1:9/v1", ProviderCustom: "http://127.0.0.1:10/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	or, _ := r.Route("openrouter/a/b")
	cu, _ := r.Route("custom/m@http://127.0.0.1:11/v1")
	if or.BaseURL != "http://127.0.0.1:9/v1" || cu.BaseURL != "http://127.0.0.1:11/v1" {
		t.Errorf("openrouter %s, custom %s", or.BaseURL, cu.BaseURL)
	}
}

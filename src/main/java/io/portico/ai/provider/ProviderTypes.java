package io.portico.ai.provider;

import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.config.Errors;
import io.portico.config.ProviderSpec;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Every provider type Portico can reach: native adapters and OpenAI-compatible presets. The table is also
 * documented in docs/ai-providers.md.
 */
public final class ProviderTypes {

    private static final Map<String, ProviderType> TYPES = new LinkedHashMap<>();

    static {
        OpenAiAdapter openAi = new OpenAiAdapter(OpenAiDialect.OPENAI);
        register("openai", "OpenAI", "https://api.openai.com/v1", true, context -> openAi);
        OpenAiAdapter azure = new OpenAiAdapter(new OpenAiDialect(OpenAiDialect.Auth.AZURE, "max_completion_tokens",
                true, true, true, false, true));
        register("azure-openai", "Azure OpenAI", null, true, context -> azure);
        AnthropicAdapter anthropic = new AnthropicAdapter();
        register("anthropic", "Anthropic", "https://api.anthropic.com/v1", true, context -> anthropic);
        GeminiAdapter gemini = new GeminiAdapter();
        register("gemini", "Google Gemini API", "https://generativelanguage.googleapis.com/v1beta", true,
                context -> gemini);
        // The default is the global endpoint; VertexAdapter uses the regional one for any other region.
        register("vertex", "Google Vertex AI", VertexAdapter.defaultBaseUrl("global"), false, VertexAdapter::new,
                ProviderTypes::validateVertex);
        CohereAdapter cohere = new CohereAdapter();
        register("cohere", "Cohere", "https://api.cohere.com/v2", true, context -> cohere);
        MistralAdapter mistral = new MistralAdapter();
        register("mistral", "Mistral AI", "https://api.mistral.ai/v1", true, context -> mistral);
        OllamaAdapter ollama = new OllamaAdapter();
        register("ollama", "Ollama", "http://127.0.0.1:11434", false, context -> ollama);
        BedrockAdapter bedrock = new BedrockAdapter();
        register("bedrock", "Amazon Bedrock", BedrockAdapter.DEFAULT_BASE_URL, false, context -> bedrock,
                BedrockAdapter::validate);

        compatible("deepseek", "DeepSeek", "https://api.deepseek.com/v1", true);
        compatible("groq", "Groq", "https://api.groq.com/openai/v1", true);
        compatible("together", "Together AI", "https://api.together.xyz/v1", true);
        compatible("fireworks", "Fireworks AI", "https://api.fireworks.ai/inference/v1", true);
        compatible("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", true);
        compatible("xai", "xAI", "https://api.x.ai/v1", true);
        compatible("perplexity", "Perplexity", "https://api.perplexity.ai", true);
        compatible("cerebras", "Cerebras", "https://api.cerebras.ai/v1", true);
        compatible("siliconflow", "SiliconFlow", "https://api.siliconflow.cn/v1", true);
        compatible("moonshot", "Moonshot AI", "https://api.moonshot.ai/v1", true);
        compatible("zhipu", "Zhipu AI (GLM)", "https://open.bigmodel.cn/api/paas/v4", true);
        compatible("dashscope", "Alibaba Cloud Model Studio (Qwen)",
                "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", true);
        compatible("minimax", "MiniMax", "https://api.minimax.io/v1", true);
        compatible("volcengine", "Volcengine Ark", "https://ark.cn-beijing.volces.com/api/v3", true);
        compatible("nvidia-nim", "NVIDIA NIM", "https://integrate.api.nvidia.com/v1", true);
        compatible("huggingface", "Hugging Face Inference Providers", "https://router.huggingface.co/v1", true);
        compatible("sambanova", "SambaNova Cloud", "https://api.sambanova.ai/v1", true);
        compatible("deepinfra", "DeepInfra", "https://api.deepinfra.com/v1/openai", true);
        compatible("novita", "Novita AI", "https://api.novita.ai/v3/openai", true);
        compatible("nebius", "Nebius AI Studio", "https://api.studio.nebius.com/v1", true);
        compatible("hyperbolic", "Hyperbolic", "https://api.hyperbolic.xyz/v1", true);
        compatible("lambda", "Lambda Inference", "https://api.lambda.ai/v1", true);
        compatible("featherless", "Featherless AI", "https://api.featherless.ai/v1", true);
        compatible("github-models", "GitHub Models", "https://models.github.ai/inference", true);
        compatible("vllm", "vLLM", null, false);
        local("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1");
        local("xinference", "Xorbits Inference", "http://127.0.0.1:9997/v1");
        local("llamacpp", "llama.cpp server", "http://127.0.0.1:8080/v1");
        local("localai", "LocalAI", "http://127.0.0.1:8080/v1");
        compatible("openai-compatible", "Any OpenAI-compatible endpoint", null, false);
    }

    private ProviderTypes() {
    }

    private static void compatible(String id, String name, String baseUrl, boolean keyRequired) {
        OpenAiAdapter adapter = new OpenAiAdapter(OpenAiDialect.COMPATIBLE);
        register(id, name, baseUrl, keyRequired, context -> adapter);
    }

    private static void local(String id, String name, String baseUrl) {
        OpenAiAdapter adapter = new OpenAiAdapter(OpenAiDialect.LOCAL);
        register(id, name, baseUrl, false, context -> adapter);
    }

    static void register(String id, String name, String baseUrl, boolean keyRequired,
                         Function<AdapterContext, ProviderAdapter> adapter) {
        register(id, name, baseUrl, keyRequired, adapter, null);
    }

    /** Adds a provider type with a validator of its own fields; a type registered twice keeps the last one. */
    static void register(String id, String name, String baseUrl, boolean keyRequired,
                         Function<AdapterContext, ProviderAdapter> adapter,
                         BiConsumer<ProviderSpec, Errors> validator) {
        TYPES.put(id, new ProviderType(id, name, baseUrl, keyRequired, adapter, validator));
    }

    /** Requires a project, a region, and a service account key or a ready access token as the key. */
    private static void validateVertex(ProviderSpec spec, Errors errors) {
        errors.required(spec.project(), "project");
        errors.required(spec.region(), "region");
        if (spec.region() != null) {
            errors.check(spec.region().matches("[a-z0-9-]+"), "region",
                    "must be a Google Cloud location such as us-central1 or global");
        }
        if (spec.serviceAccount() == null) {
            errors.check(!spec.keys().isEmpty(), "serviceAccount",
                    "is required unless keys hold ready OAuth access tokens");
            return;
        }
        try {
            GoogleServiceAccount.parse(spec.serviceAccount());
        } catch (IllegalArgumentException e) {
            errors.add("serviceAccount", e.getMessage());
        }
    }

    public static Optional<ProviderType> find(String id) {
        return Optional.ofNullable(TYPES.get(id));
    }

    /** Every type, in registration order. */
    public static Collection<ProviderType> all() {
        return Collections.unmodifiableCollection(TYPES.values());
    }
}

"""Architecture facts of common model families, for the GPU-fit estimate (modelfleet/resolve/gpu_fit.py).

Every value is a config.json fact (layers, heads, sizes, vocabulary, context) or a parameter count computed
from those shapes and cross-checked against a published total, as collected in
the project's model-architecture reference notes (Meta's llama-models SKU list, model cards, copies of the
checkpoints' config.json). Families whose facts could not be verified there (e.g. granite-7b-instruct) are
left out: a model declares them inline instead. A model names its entry explicitly; nothing is guessed from
a path.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    """What sizes the weights and the KV cache of a decoder-only transformer."""

    parameters: int                  # all weights of the language model (embeddings included)
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int                    # num_key_value_heads (= attention_heads for MHA)
    head_dim: int
    intermediate_size: int           # width of each MLP projection (gate, up)
    vocab_size: int
    max_context: int                 # max_position_embeddings: vLLM's maxModelLen when none is given
    dtype: str = "bfloat16"          # the checkpoint's native dtype (what --dtype auto loads)
    tied_embeddings: bool = False    # input embedding and LM head share one matrix
    mla_latent: int | None = None    # MLA (DeepSeek-V2/V3): kv_lora_rank + qk_rope_head_dim, cached once per layer
    encoder_parameters: int | None = None  # vision/audio encoder of a multimodal model, when known

    @property
    def embedding_parameters(self) -> int:
        """Embedding and LM head weights: quantized checkpoints keep them in 16 bits."""
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)


_LLAMA3_8B = dict(parameters=8_030_261_248, layers=32, hidden_size=4096, attention_heads=32, kv_heads=8, head_dim=128,
                  intermediate_size=14336, vocab_size=128256)
_LLAMA3_70B = dict(parameters=70_553_706_496, layers=80, hidden_size=8192, attention_heads=64, kv_heads=8, head_dim=128,
                   intermediate_size=28672, vocab_size=128256)
_QWEN25_7B = dict(parameters=7_615_616_512, layers=28, hidden_size=3584, attention_heads=28, kv_heads=4, head_dim=128,
                  intermediate_size=18944, vocab_size=152064, max_context=32768)

ARCHITECTURES: dict[str, Architecture] = {
    "llama-3-8b": Architecture(**_LLAMA3_8B, max_context=8192),
    "llama-3-70b": Architecture(**_LLAMA3_70B, max_context=8192),
    "llama-3.1-8b": Architecture(**_LLAMA3_8B, max_context=131072),
    "llama-3.1-70b": Architecture(**_LLAMA3_70B, max_context=131072),
    "llama-3.1-405b": Architecture(parameters=405_853_388_800, layers=126, hidden_size=16384, attention_heads=128, kv_heads=8,
                                   head_dim=128, intermediate_size=53248, vocab_size=128256, max_context=131072),
    "llama-3.2-1b": Architecture(parameters=1_235_814_400, layers=16, hidden_size=2048, attention_heads=32, kv_heads=8,
                                 head_dim=64, intermediate_size=8192, vocab_size=128256, max_context=131072, tied_embeddings=True),
    # Qwen 1 (QWenLMHeadModel): multi-head attention, two MLP halves of 11008. Its first release had a 2048-token
    # context; the current revision, which the Int4/Int8 checkpoints share, has 8192.
    "qwen-7b": Architecture(parameters=7_721_324_544, layers=32, hidden_size=4096, attention_heads=32, kv_heads=32, head_dim=128,
                            intermediate_size=11008, vocab_size=151936, max_context=8192),
    "qwen2.5-7b": Architecture(**_QWEN25_7B),
    "qwen2.5-72b": Architecture(parameters=72_706_203_648, layers=80, hidden_size=8192, attention_heads=64, kv_heads=8,
                                head_dim=128, intermediate_size=29568, vocab_size=152064, max_context=32768),
    # The language model only: the vision tower's size is not verified, so it is not counted.
    "qwen2-vl-7b": Architecture(**_QWEN25_7B),
    "mistral-7b-v0.3": Architecture(parameters=7_248_023_552, layers=32, hidden_size=4096, attention_heads=32, kv_heads=8,
                                    head_dim=128, intermediate_size=14336, vocab_size=32768, max_context=32768),
    "granite-3.1-8b": Architecture(parameters=8_170_848_256, layers=40, hidden_size=4096, attention_heads=32, kv_heads=8,
                                   head_dim=128, intermediate_size=12800, vocab_size=49155, max_context=131072, tied_embeddings=True),
}
"""Catalog keys are the family and size without the -Instruct/-Chat suffix: a tuned checkpoint has its base's shapes."""

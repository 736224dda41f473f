"""Model architecture: a catalog entry by name, or the facts inline for a model the catalog does not hold."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from modelfleet.catalog.model_architectures import ARCHITECTURES
from modelfleet.spec.base import SpecModel

CatalogArchitecture = Literal[tuple(ARCHITECTURES)]


class Mla(SpecModel):
    """Multi-head latent attention (DeepSeek-V2/V3): the KV cache holds one latent vector per layer and token."""

    kv_lora_rank: int = Field(ge=1, description="kv_lora_rank of config.json.")
    qk_rope_head_dim: int = Field(ge=1, description="qk_rope_head_dim of config.json.")


class ArchitectureFacts(SpecModel):
    """The config.json facts of a model that is not in the catalog (read them from its config.json)."""

    parameters: int = Field(ge=1, description="Parameters of the language model, embeddings included (e.g. 6738415616).")
    layers: int = Field(ge=1, description="num_hidden_layers.")
    hidden_size: int = Field(ge=1, description="hidden_size.")
    attention_heads: int = Field(ge=1, description="num_attention_heads.")
    kv_heads: int | None = Field(None, ge=1, description="num_key_value_heads; default attentionHeads (multi-head attention).")
    head_dim: int | None = Field(None, ge=1, description="head_dim; default hiddenSize / attentionHeads.")
    intermediate_size: int = Field(ge=1, description="intermediate_size (width of one MLP projection).")
    vocab_size: int = Field(ge=1, description="vocab_size.")
    max_context: int = Field(ge=1, description="max_position_embeddings: the context vLLM serves when maxModelLen is unset.")
    dtype: Literal["bfloat16", "float16", "float32"] = Field("bfloat16", description="torch_dtype of the checkpoint.")
    tied_embeddings: bool = Field(False, description="tie_word_embeddings.")
    mla: Mla | None = Field(None, description="Multi-head latent attention facts (DeepSeek-V2/V3 family).")
    encoder_parameters: int | None = Field(
        None, ge=0, description="Parameters of a multimodal model's vision or audio encoder, when known."
    )

    @model_validator(mode="after")
    def _heads(self) -> "ArchitectureFacts":
        kv_heads = self.kv_heads or self.attention_heads
        if self.attention_heads % kv_heads:
            raise ValueError(f"attentionHeads {self.attention_heads} is not a multiple of kvHeads {kv_heads}; check config.json")
        if self.head_dim is None and self.hidden_size % self.attention_heads:
            raise ValueError(f"hiddenSize {self.hidden_size} is not a multiple of attentionHeads {self.attention_heads}; set headDim")
        return self


ArchitectureRef = CatalogArchitecture | ArchitectureFacts

"""The unpartitioned reference `verify` compares the partitioned model with: one module per
architecture family, each written from that family's published definition (Hugging Face
transformers' modelling code and the checkpoints' layout), sharing no function with the
partitioned model. Agreement checks the partitioning, the collectives, the paged cache, the EP
dispatch and the partitioned model's reading of the architecture at once."""

from __future__ import annotations


def build(cfg, src):
    """The reference model of cfg.family over the full tensors of `src`."""
    family = cfg.family
    if family in ("llama", "qwen2"):
        from .llama import LlamaLM as cls
    elif family == "qwen3":
        from .qwen3 import Qwen3LM as cls
    elif family == "qwen2_moe":
        from .qwen_moe import Qwen2MoeLM as cls
    elif family == "qwen3_moe":
        from .qwen_moe import Qwen3MoeLM as cls
    elif family == "mixtral":
        from .mixtral import MixtralLM as cls
    elif family in ("deepseek_v2", "deepseek_v3"):
        from .deepseek import DeepSeekLM as cls
    elif family == "gpt_oss":
        from .gpt_oss import GptOssLM as cls
    else:
        raise ValueError(f"no reference for family {family!r}")
    return cls(cfg, src)

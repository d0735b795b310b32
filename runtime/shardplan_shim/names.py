"""Hugging Face tensor names of each family's checkpoints, as the partitioned model reads them
(the reference modules spell their own). Attention, norms, embedding and head are named alike in
every family; the MoE blocks differ."""

from __future__ import annotations


class Names:
    embed = "model.embed_tokens.weight"
    norm = "model.norm.weight"
    head = "lm_head.weight"

    def __init__(self, family: str):
        self.family = family

    @staticmethod
    def layer(l: int) -> str:
        return f"model.layers.{l}."

    def attn(self, l: int) -> str:
        return self.layer(l) + "self_attn."

    def mlp(self, l: int) -> str:
        return self.layer(l) + "mlp."

    def router(self, l: int) -> str:
        """The router's linear layer (without .weight)."""
        if self.family == "mixtral":
            return self.layer(l) + "block_sparse_moe.gate"
        return self.mlp(l) + ("router" if self.family == "gpt_oss" else "gate")

    def correction_bias(self, l: int) -> str:
        return self.mlp(l) + "gate.e_score_correction_bias"

    def expert(self, l: int, e: int) -> tuple[str, str, str]:
        """gate, up and down projections of routed expert e (without .weight)."""
        if self.family == "mixtral":
            p = self.layer(l) + f"block_sparse_moe.experts.{e}."
            return p + "w1", p + "w3", p + "w2"
        p = self.mlp(l) + f"experts.{e}."
        return p + "gate_proj", p + "up_proj", p + "down_proj"

    def fused_experts(self, l: int) -> str:
        """gpt-oss keeps all experts of a layer in gate_up_proj / down_proj tensors (with biases)."""
        return self.mlp(l) + "experts."

    def shared(self, l: int) -> str:
        return self.mlp(l) + ("shared_expert." if self.family == "qwen2_moe" else "shared_experts.")

    def shared_gate(self, l: int) -> str:
        return self.mlp(l) + "shared_expert_gate.weight"

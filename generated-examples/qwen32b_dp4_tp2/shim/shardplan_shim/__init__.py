"""shardplan runtime shim: runs a compiled shardplan plan (plan.json) with torch.distributed.

See runtime/README.md and docs/plan-ir.md."""

__version__ = "0.1.0"

"""The PyTorch engine worker: Hugging Face checkpoints with attention taps (docs/pytorch-engine.md)."""

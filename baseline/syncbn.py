"""Synchronised batch normalisation under DDP, on GPUs and on the CPU.

The official recipe trains with ``sync_batchnorm: True`` (Lightning converts every
BatchNorm to ``torch.nn.SyncBatchNorm``): batch statistics are computed over the
whole global batch, all processes together. torch's ``SyncBatchNorm`` runs on GPUs
only, so on the CPU (gloo) :class:`CPUSyncBatchNorm` does the same with a
differentiable all-reduce of the per-channel count, sum and sum of squares:
normalisation by the global mean and (biased) variance, running statistics updated
with the global unbiased variance — what a single process would compute on the
concatenated batch. Parameter and buffer names stay those of ``nn.BatchNorm*d``,
so checkpoints are unchanged.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


class CPUSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm over (N, C, ...) inputs with statistics reduced over all processes of the default group."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (N, C, ...), got {input.dim()}-D")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(input)
        synced = self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
        if not synced:
            return super().forward(input)
        import warnings

        from torch.distributed.nn.functional import all_reduce

        dims = [0] + list(range(2, input.dim()))
        x = input.float()
        count = torch.tensor([x.numel() / x.shape[1]], dtype=torch.float32, device=x.device)
        stats = torch.cat([x.sum(dims), (x * x).sum(dims), count])
        with warnings.catch_warnings():  # deprecated in favour of an experimental API; still the autograd-aware one
            warnings.simplefilter("ignore", FutureWarning)
            stats = all_reduce(stats)  # differentiable: gradients flow through the other processes' statistics
        c = x.shape[1]
        total = stats[-1]
        mean = stats[:c] / total
        var = (stats[c:2 * c] / total - mean * mean).clamp_min(0.0)
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = (1.0 / float(self.num_batches_tracked)) if self.momentum is None else self.momentum
                unbiased = var * total / (total - 1).clamp_min(1.0)
                self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach().to(self.running_mean.dtype))
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased.detach().to(self.running_var.dtype))
        shape = [1, c] + [1] * (input.dim() - 2)
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out.to(input.dtype)


def convert_cpu_sync_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every ``nn.BatchNorm*d`` replaced by :class:`CPUSyncBatchNorm` (same weights and buffers)."""
    out = module
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, CPUSyncBatchNorm):
        out = CPUSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats)
        out.load_state_dict(module.state_dict())
        out.train(module.training)
        if module.affine:
            out.weight.requires_grad_(module.weight.requires_grad)
            out.bias.requires_grad_(module.bias.requires_grad)
    for name, child in module.named_children():
        out.add_module(name, convert_cpu_sync_batchnorm(child))
    return out


def convert_sync_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """torch's ``SyncBatchNorm`` on CUDA, :class:`CPUSyncBatchNorm` elsewhere."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return convert_cpu_sync_batchnorm(module)

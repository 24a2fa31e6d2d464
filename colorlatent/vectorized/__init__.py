"""Many seeds of one experiment as one stacked model: S models, one process, one Trainer.

A sweep over seeds (60 for the milestone-2 model selection) repeats a few-hundred-parameter
model whose every step costs mostly fixed overhead. Stacking the S models' weights and running
them as batched matrix products pays that overhead once per step for all of them. Seed s of a
stack reproduces the single run with seed s exactly: same initialization, same batch and label
stream, same terms, schedule and optimizer, and products that round as the single model's do.
"""

from .data import SeedStackDataModule
from .model import StackedAutoencoder, StackedLinear
from .module import SeedStackModule
from .ops import stacked_gram, stacked_linear, stacked_pointwise, stacked_pow
from .sweep import NotVectorizable, SeedRun, StackedSweep, TrainRequest, check_vectorizable, train_seeds, verify_exact
from .terms import STACKABLE, stackable, stacked_term

__all__ = [
    "NotVectorizable", "STACKABLE", "SeedRun", "SeedStackDataModule", "SeedStackModule", "StackedAutoencoder",
    "StackedLinear", "StackedSweep", "TrainRequest", "check_vectorizable", "stackable", "stacked_gram",
    "stacked_linear", "stacked_pointwise", "stacked_pow", "stacked_term", "train_seeds", "verify_exact",
]

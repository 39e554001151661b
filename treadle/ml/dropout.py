"""Setting the dropout rate of a whole network at once.

Components receive ``drop`` per update (``nlp.update(..., drop=0.2)``); the rate is
not fixed when the network is built, so it is set on every dropout module before
the forward pass. In eval mode torch's dropout modules do nothing, so prediction
is unaffected whatever the rate.
"""

from __future__ import annotations

import torch

_DROPOUT_TYPES = (torch.nn.Dropout, torch.nn.Dropout1d, torch.nn.Dropout2d, torch.nn.AlphaDropout)


def set_dropout_rate(module: torch.nn.Module, p: float) -> int:
    """Set ``p`` on every dropout module inside ``module``; returns how many there were."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {p}")
    n = 0
    for sub in module.modules():
        if isinstance(sub, _DROPOUT_TYPES):
            sub.p = float(p)
            n += 1
    return n

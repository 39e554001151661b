"""treadle.ml layers, one per file; importing this package registers them."""

from treadle.ml.layers.character_embed import CharacterIds
from treadle.ml.layers.expand_window import ExpandWindow
from treadle.ml.layers.feature_extractor import FeatureExtractor
from treadle.ml.layers.hash_embed import HashEmbed, hash_ids
from treadle.ml.layers.layer_norm import LayerNorm
from treadle.ml.layers.linear import Linear
from treadle.ml.layers.listener import Tok2VecListener
from treadle.ml.layers.maxout import Maxout
from treadle.ml.layers.mish import Mish
from treadle.ml.layers.reduce import ReduceFirst, ReduceLast, ReduceMax, ReduceMean, ReduceSum
from treadle.ml.layers.residual import Residual
from treadle.ml.layers.softmax import Softmax
from treadle.ml.layers.static_vectors import StaticVectors
from treadle.ml.layers.with_ragged import OnRows

__all__ = [
    "CharacterIds", "ExpandWindow", "FeatureExtractor", "HashEmbed", "hash_ids", "LayerNorm",
    "Linear", "Tok2VecListener", "Maxout", "Mish", "ReduceFirst", "ReduceLast", "ReduceMax",
    "ReduceMean", "ReduceSum", "Residual", "Softmax", "StaticVectors", "OnRows",
]

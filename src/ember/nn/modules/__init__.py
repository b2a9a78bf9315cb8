"""The nn.Module classes, one file per family."""
from ember.nn.modules.module import Module  # noqa: F401
from ember.nn.modules.container import (Container, Sequential, ModuleList, ModuleDict,  # noqa: F401
                                        ParameterList, ParameterDict)
from ember.nn.modules.linear import Identity, Linear, Bilinear, LazyLinear  # noqa: F401
from ember.nn.modules.activation import *  # noqa: F401,F403
from ember.nn.modules.flatten import Flatten, Unflatten  # noqa: F401
from ember.nn.modules.loss import *  # noqa: F401,F403
from ember.nn.modules.dropout import *  # noqa: F401,F403
from ember.nn.modules.distance import PairwiseDistance, CosineSimilarity  # noqa: F401
from ember.nn.modules.padding import *  # noqa: F401,F403
from ember.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401
from ember.nn.modules.sparse import Embedding, EmbeddingBag  # noqa: F401
from ember.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from ember.nn.modules.pooling import *  # noqa: F401,F403
from ember.nn.modules.normalization import *  # noqa: F401,F403
from ember.nn.modules.attention import MultiheadAttention  # noqa: F401
from ember.nn.modules.transformer import *  # noqa: F401,F403
from ember.nn.modules.ctc import CTCLoss  # noqa: F401
from ember.nn.modules.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401
from ember.nn.modules.upsampling import *  # noqa: F401,F403
from ember.nn.modules.fold import Fold, Unfold  # noqa: F401
from ember.nn.modules.channelshuffle import ChannelShuffle  # noqa: F401
